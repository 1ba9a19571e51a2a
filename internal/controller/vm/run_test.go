package vm

import (
	"context"
	"io"
	"log/slog"
	"testing"
	"time"

	testclock "k8s.io/utils/clock/testing"

	v1 "vigil.dev/vigil/api/v1"
	"vigil.dev/vigil/internal/resource"
)

// waitFor polls cond; the deadline is generous because goroutines run the
// controller here, not because the logic needs time.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// TestRunConvergesAndStops runs the whole controller (informers, workers)
// against the fake API, including a watch that expires on the way.
func TestRunConvergesAndStops(t *testing.T) {
	api := newFakeAPI()
	c := NewController(api, Options{Clock: testclock.NewFakeClock(t0),
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), Workers: 3})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- c.Run(ctx) }()

	if err := api.Create(ctx, resource.VirtualMachines, newVMObject(v1.RunStrategyAlways)); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "a VMI", func() bool { return api.vmi("default/vm1") != nil })
	waitFor(t, "status Starting", func() bool {
		return api.vm("default/vm1").Status.PrintableStatus == v1.VirtualMachineStatusStarting
	})

	api.expireWatches() // the informers list again and carry on
	api.remove(resource.VirtualMachineInstances, "default/vm1")
	waitFor(t, "a replacement VMI", func() bool { return api.vmi("default/vm1") != nil })
	if n := api.callCount("list virtualmachineinstances"); n < 2 {
		t.Fatalf("%d lists of VMIs, want a relist after the expired watch", n)
	}

	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("Run: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Run did not return after cancel")
	}
}
