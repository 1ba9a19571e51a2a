package informer

import (
	"context"
	"sync"
	"testing"
	"time"

	"k8s.io/utils/clock"
)

func TestRetriesDoubleUpToMaxAndForget(t *testing.T) {
	r := &Retries[string]{Base: time.Second, Max: 5 * time.Second}
	for i, want := range []time.Duration{1, 2, 4, 5, 5} {
		if got := r.Failed("a"); got != want*time.Second {
			t.Errorf("failure %d of a: %s, want %s", i+1, got, want*time.Second)
		}
	}
	if got := r.Failed("b"); got != time.Second {
		t.Errorf("b counts apart from a: %s", got)
	}
	r.Forget("a")
	if got := r.Failed("a"); got != time.Second {
		t.Errorf("after Forget: %s, want the base again", got)
	}
}

func TestWorkHandsOutEveryKeyUntilShutDown(t *testing.T) {
	q := NewQueue(clock.RealClock{})
	var mu sync.Mutex
	seen := map[string]int{}
	done := make(chan struct{})
	go func() {
		q.Work(context.Background(), func(_ context.Context, key string) {
			mu.Lock()
			seen[key]++
			mu.Unlock()
		})
		close(done)
	}()
	for _, k := range []string{"x", "y", "z"} {
		q.Add(k)
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		mu.Lock()
		n := len(seen)
		mu.Unlock()
		if n == 3 || time.Now().After(deadline) {
			break
		}
		time.Sleep(time.Millisecond)
	}
	q.ShutDown()
	<-done
	if len(seen) != 3 {
		t.Fatalf("processed %v, want x, y and z", seen)
	}
}
