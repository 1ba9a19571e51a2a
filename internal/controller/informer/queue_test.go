package informer

import (
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/types"
	testclock "k8s.io/utils/clock/testing"
)

func drain(q *Queue) []string {
	var out []string
	for {
		k, ok := q.TryGet()
		if !ok {
			return out
		}
		out = append(out, k)
		q.Done(k)
	}
}

func TestQueueDeduplicatesAndRedoesKeysAddedWhileProcessing(t *testing.T) {
	q := NewQueue(testclock.NewFakeClock(time.Unix(0, 0)))
	q.Add("a")
	q.Add("b")
	q.Add("a")
	if q.Len() != 2 {
		t.Fatalf("Len %d, want 2", q.Len())
	}
	k, _ := q.TryGet()
	q.Add(k) // while processing: handed out again only after Done
	if got := drain(q); len(got) != 1 || got[0] != "b" {
		t.Fatalf("while %s is processed the queue handed out %v, want [b]", k, got)
	}
	q.Done(k)
	if got := drain(q); len(got) != 1 || got[0] != k {
		t.Fatalf("after Done got %v, want [%s]", got, k)
	}
}

func TestQueueAddAfterKeepsTheEarliestDeadline(t *testing.T) {
	clk := testclock.NewFakeClock(time.Unix(0, 0))
	q := NewQueue(clk)
	q.AddAfter("a", 10*time.Second)
	q.AddAfter("a", 3*time.Second)
	q.AddAfter("a", 20*time.Second)
	clk.Step(2 * time.Second)
	if got := drain(q); len(got) != 0 {
		t.Fatalf("queued before the deadline: %v", got)
	}
	clk.Step(time.Second)
	if got := drain(q); len(got) != 1 || got[0] != "a" {
		t.Fatalf("at 3s got %v, want [a]", got)
	}
	clk.Step(30 * time.Second)
	if got := drain(q); len(got) != 0 {
		t.Fatalf("a superseded delay fired: %v", got)
	}
	if clk.HasWaiters() {
		t.Fatal("a superseded timer is still armed")
	}
}

func TestTypedQueueReportsQueuedKeysAndDeadlines(t *testing.T) {
	clk := testclock.NewFakeClock(time.Unix(0, 0))
	q := NewTypedQueue[types.UID](clk)
	q.Add("u1")
	q.AddAfter("u2", 5*time.Second)
	if !q.Queued("u1") || q.Queued("u2") {
		t.Fatalf("Queued(u1)=%v Queued(u2)=%v, want true false", q.Queued("u1"), q.Queued("u2"))
	}
	if at, ok := q.Due("u2"); !ok || !at.Equal(time.Unix(5, 0)) {
		t.Fatalf("Due(u2) = %v %v, want 5s", at, ok)
	}
	if _, ok := q.Due("u1"); ok {
		t.Fatal("Due(u1) reports a deadline never asked for")
	}
	k, _ := q.Get()
	if k != "u1" || q.Queued("u1") {
		t.Fatalf("Get = %s; Queued(u1) after Get = %v", k, q.Queued("u1"))
	}
	q.Done(k)
	clk.Step(5 * time.Second)
	if _, ok := q.Due("u2"); ok || !q.Queued("u2") {
		t.Fatal("u2 was not queued at its deadline")
	}
}

func TestQueueShutDownWakesGet(t *testing.T) {
	q := NewQueue(nil)
	done := make(chan bool)
	go func() {
		_, ok := q.Get()
		done <- ok
	}()
	q.ShutDown()
	if ok := <-done; ok {
		t.Fatal("Get returned a key after shutdown")
	}
	q.Add("x")
	if q.Len() != 0 {
		t.Fatal("Add after shutdown queued a key")
	}
}

func TestQueueShutDownStopsPendingDelays(t *testing.T) {
	clk := testclock.NewFakeClock(time.Unix(0, 0))
	q := NewQueue(clk)
	q.AddAfter("a", time.Second)
	q.ShutDown()
	clk.Step(time.Second)
	q.AddAfter("b", time.Second) // after shutdown: ignored
	clk.Step(time.Second)
	if q.Len() != 0 {
		t.Fatal("a delay queued a key after shutdown")
	}
	if _, ok := q.Get(); ok {
		t.Fatal("Get after shutdown reported a key")
	}
}
