package probe

import (
	"log/slog"
	"runtime"
	"testing"
	"time"

	clocktesting "k8s.io/utils/clock/testing"
)

// TestRemoveCancelsRunningProbe: RemoveVMI ends a probe that is still
// running (its context is canceled) and nothing it found takes effect.
func TestRemoveCancelsRunningProbe(t *testing.T) {
	h := newHarness(t, nil)
	p := h.script("a", Readiness, S)
	p.gate, p.started = make(chan struct{}), make(chan struct{}, 1) // never opened
	h.m.AddVMI(vmi("a", "one", httpProbe(0, 10, 1, 1), nil), Target{IP: "10.0.0.2"}, t0, nil, false)
	<-p.started
	h.m.RemoveVMI("a")
	h.settle() // returns only once the blocked probe has ended
	h.advance(10 * sec)
	if n := len(h.fx.of("")); n != 0 {
		t.Fatalf("%d effects from a removed VMI's probe", n)
	}
	if n := len(p.callTimes()); n != 1 {
		t.Fatalf("%d probes, want 1", n)
	}
}

// TestStoppingCancelsRunningProbe: a liveness probe hanging when the VMI
// begins to stop is canceled and never fails the VMI.
func TestStoppingCancelsRunningProbe(t *testing.T) {
	h := newHarness(t, nil)
	p := h.script("a", Liveness, F)
	p.gate, p.started = make(chan struct{}), make(chan struct{}, 1)
	h.m.AddVMI(vmi("a", "one", nil, httpProbe(0, 10, 1, 1)), Target{IP: "10.0.0.2"}, t0, nil, false)
	<-p.started
	h.m.Stopping("a")
	h.settle()
	if n := len(h.fx.of("LivenessFailed")); n != 0 {
		t.Fatalf("LivenessFailed for a VMI that was stopping")
	}
}

// TestNoGoroutineLeak: after RemoveVMI and Stop every goroutine the
// manager started has ended, including those of probes still running.
func TestNoGoroutineLeak(t *testing.T) {
	before := runtime.NumGoroutine()
	clk := clocktesting.NewFakeClock(t0)
	fx := &fakeEffects{clk: clk}
	gate := make(chan struct{})
	blocked := &fakeProber{clk: clk, gate: gate, started: make(chan struct{}, 4)}
	h := &harness{t: t, clk: clk, fx: fx, probers: map[string]*fakeProber{"b/Readiness": blocked, "c/Readiness": blocked}}
	m := NewManager(Options{Effects: fx, Clock: clk, Build: h.build, Logger: slog.New(slog.DiscardHandler)})
	h.m = m
	h.m.AddVMI(vmi("a", "one", httpProbe(0, 10, 1, 1), httpProbe(0, 10, 1, 1)), Target{IP: "10.0.0.2"}, t0, nil, false)
	h.m.AddVMI(vmi("b", "two", httpProbe(0, 10, 1, 1), nil), Target{IP: "10.0.0.3"}, t0, nil, false)
	h.m.AddVMI(vmi("c", "three", httpProbe(0, 10, 1, 1), nil), Target{IP: "10.0.0.4"}, t0, nil, false)
	<-blocked.started
	<-blocked.started
	h.m.RemoveVMI("a")
	h.m.RemoveVMI("b")
	m.Stop() // c's probe is still blocked: Stop cancels and waits for it
	m.Stop() // a second Stop is harmless
	m.AddVMI(vmi("d", "four", httpProbe(0, 10, 1, 1), nil), Target{IP: "10.0.0.5"}, t0, nil, false)
	if m.Status("d") != nil {
		t.Fatalf("a stopped manager took a new VMI")
	}
	deadline := time.Now().Add(10 * time.Second)
	for runtime.NumGoroutine() > before {
		if time.Now().After(deadline) {
			buf := make([]byte, 1<<16)
			t.Fatalf("%d goroutines before, %d after Stop:\n%s", before, runtime.NumGoroutine(), buf[:runtime.Stack(buf, true)])
		}
		time.Sleep(time.Millisecond)
	}
}
