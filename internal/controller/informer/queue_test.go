package informer

import (
	"testing"
	"time"

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
