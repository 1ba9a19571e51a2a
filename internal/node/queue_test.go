package node

import (
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/types"
	testclock "k8s.io/utils/clock/testing"
)

func TestQueueOneWorkerPerKey(t *testing.T) {
	q := newQueue(testclock.NewFakeClock(t0))
	q.Add("a")
	q.Add("a")
	q.Add("b")
	k, _ := q.Get()
	if k != "a" {
		t.Fatalf("first key %s, want a", k)
	}
	q.Add("a") // while a is worked on: comes back after Done, not now
	if k2, _ := q.Get(); k2 != "b" {
		t.Fatalf("second key %s, want b", k2)
	}
	q.Done("b")
	q.Done("a")
	if k3, _ := q.Get(); k3 != "a" {
		t.Fatalf("a was not queued again after Done")
	}
}

func TestQueueAddAfterKeepsTheEarliest(t *testing.T) {
	clk := testclock.NewFakeClock(t0)
	q := newQueue(clk)
	q.AddAfter("a", 10*time.Second)
	q.AddAfter("a", 2*time.Second)
	q.AddAfter("a", 20*time.Second) // later than pending: ignored
	clk.Step(2 * time.Second)
	got := make(chan types.UID, 2)
	go func() {
		for {
			k, ok := q.Get()
			if !ok {
				return
			}
			got <- k
			q.Done(k)
		}
	}()
	select {
	case k := <-got:
		if k != "a" {
			t.Fatalf("got %s", k)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("a was not queued at the earliest deadline")
	}
	clk.Step(30 * time.Second) // the superseded timers must not fire again
	if clk.HasWaiters() {
		t.Error("timers left waiting")
	}
	select {
	case k := <-got:
		t.Fatalf("%s queued again by a superseded timer", k)
	default:
	}
	q.ShutDown()
}

func TestQueueShutDownWakesGet(t *testing.T) {
	q := newQueue(testclock.NewFakeClock(t0))
	done := make(chan bool)
	go func() { _, ok := q.Get(); done <- ok }()
	q.ShutDown()
	select {
	case ok := <-done:
		if ok {
			t.Error("Get returned a key after ShutDown")
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Get did not return after ShutDown")
	}
}

func TestBackoff(t *testing.T) {
	want := []time.Duration{time.Second, 2 * time.Second, 4 * time.Second, 8 * time.Second}
	for i, w := range want {
		if got := backoff(i + 1); got != w {
			t.Errorf("backoff(%d) = %s, want %s", i+1, got, w)
		}
	}
	if got := backoff(100); got != maxRetryDelay {
		t.Errorf("backoff(100) = %s, want %s", got, maxRetryDelay)
	}
}

func TestAgentTracker(t *testing.T) {
	var tr agentTracker
	tr = tr.next(false)
	if tr.known {
		t.Fatal("one failed ping settled the state")
	}
	tr = tr.next(false)
	if !tr.known || tr.connected {
		t.Fatalf("two failed pings: %+v, want known and disconnected", tr)
	}
	tr = tr.next(true)
	if !tr.connected || tr.failures != 0 {
		t.Fatalf("a good ping: %+v", tr)
	}
	if tr = tr.next(false); !tr.connected {
		t.Fatal("one failed ping disconnected a connected agent")
	}
	if tr = tr.closed(); !tr.known || tr.connected {
		t.Fatalf("closed port: %+v", tr)
	}
	if tr = tr.next(false); tr.connected {
		t.Fatal("a failed ping after the port closed connected it")
	}
}
