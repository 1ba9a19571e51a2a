package vm

import (
	"testing"
	"time"

	testclock "k8s.io/utils/clock/testing"
)

func TestQueueDeduplicates(t *testing.T) {
	q := newQueue(testclock.NewFakeClock(t0))
	q.Add("a")
	q.Add("b")
	q.Add("a")
	if q.Len() != 2 {
		t.Fatalf("len %d, want 2", q.Len())
	}
	if k, _ := q.Get(); k != "a" {
		t.Fatalf("first key %q, want a", k)
	}
	q.Add("a") // while a is processed: handed out again only after Done
	if k, _ := q.Get(); k != "b" {
		t.Fatalf("second key %q, want b", k)
	}
	if q.Len() != 0 {
		t.Fatalf("a key in process was handed out twice")
	}
	q.Done("a")
	if k, _ := q.Get(); k != "a" || q.Len() != 0 {
		t.Fatalf("key %q len %d, want a requeued once", k, q.Len())
	}
}

func TestQueueAddAfterKeepsTheEarliest(t *testing.T) {
	clk := testclock.NewFakeClock(t0)
	q := newQueue(clk)
	q.AddAfter("a", 10*time.Second)
	q.AddAfter("a", 30*time.Second) // later: ignored
	q.AddAfter("a", 5*time.Second)  // earlier: replaces
	clk.Step(4 * time.Second)
	if q.Len() != 0 {
		t.Fatal("queued before its time")
	}
	clk.Step(time.Second)
	if q.Len() != 1 {
		t.Fatal("not queued after 5s")
	}
	q.Get()
	q.Done("a")
	clk.Step(time.Minute)
	if q.Len() != 0 {
		t.Fatal("a superseded timer queued the key again")
	}
}

func TestQueueShutDown(t *testing.T) {
	clk := testclock.NewFakeClock(t0)
	q := newQueue(clk)
	q.AddAfter("a", time.Second)
	done := make(chan bool)
	go func() { _, ok := q.Get(); done <- ok }()
	q.ShutDown()
	if ok := <-done; ok {
		t.Fatal("Get after shutdown reported a key")
	}
	clk.Step(time.Second)
	q.Add("b")
	if q.Len() != 0 {
		t.Fatal("keys queued after shutdown")
	}
}
