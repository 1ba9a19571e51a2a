package sched

import (
	"context"
	"fmt"
	"runtime"
	"time"

	"vigil.dev/vigil/bench/internal/cpu"
	"vigil.dev/vigil/bench/internal/impl"
	"vigil.dev/vigil/bench/internal/target"
	"vigil.dev/vigil/internal/probe/prober"
)

// Scenario is one load run.
type Scenario struct {
	N       int
	Period  time.Duration
	Timeout time.Duration
	Kind    impl.Kind
	Ports   target.Ports
	// Duration is how long the run goes on after the first period (in
	// which every target is probed once).
	Duration time.Duration
}

// Report is what one run measured.
type Report struct {
	Probes         int64
	Errors         int64 // Unknown results, or failures of steady targets
	FirstError     string
	CPUPerProbe    time.Duration
	MemPerWorker   float64 // bytes of heap and stacks per target
	Lateness       Dist
	Reaction       Dist
	ReadySets      int
	ProbesExpected int64
}

// flipFactor: an HTTP target's answer alternates every flipFactor periods,
// so its published readiness changes and reaction has samples.
const flipFactor = 4

// Targets lays out sc's targets: first probes spread evenly over the first
// period (a steady 1/period rate), every other HTTP target flipping
// between 200 and 503, thresholds of 1 so that every flip is published.
func Targets(sc Scenario, start time.Time) []Target {
	ts := make([]Target, sc.N)
	flip := flipFactor * sc.Period
	for i := range ts {
		t := Target{ID: i, Kind: sc.Kind, Addr: prober.Target{Host: "127.0.0.1", Port: sc.Ports.TCP},
			First:  start.Add(time.Duration(i) * sc.Period / time.Duration(sc.N)),
			Period: sc.Period, Timeout: sc.Timeout, FailureThreshold: 1, SuccessThreshold: 1}
		if sc.Kind == impl.HTTP {
			t.Addr.Port, t.Path, t.Flips = sc.Ports.HTTP, "/ok", i%2 == 0
			if t.Flips {
				phase := time.Duration(i*7919%sc.N) * flip / time.Duration(sc.N)
				t.Path = target.FlipPath(flip, phase)
			}
		}
		ts[i] = t
	}
	return ts
}

// Run runs s over sc and reports. It takes one period plus sc.Duration,
// bounded by ctx.
func Run(ctx context.Context, s Scheduler, sc Scenario) (Report, error) {
	before := heapAndStacks()
	// The first probes are due once Start is surely done (the manager
	// takes about 10 µs per target here).
	start := time.Now().Add(max(500*time.Millisecond, time.Duration(sc.N)*100*time.Microsecond))
	expected := int64(sc.N) * int64((sc.Period+sc.Duration)/sc.Period)
	targets := Targets(sc, start)
	rec := NewRecorder(targets, int(min(expected*2, 4<<20)))
	store := NewStore()
	if err := s.Start(targets, rec, store); err != nil {
		return Report{}, err
	}
	stopped := false
	defer func() {
		if !stopped {
			s.Stop()
		}
	}()
	// CPU counts from the end of Start (building probers and VMIs is
	// set-up) to the end of the run, before the GC of the memory count.
	rusage0, err := cpu.Now()
	if err != nil {
		return Report{}, err
	}
	if err := sleepUntil(ctx, start.Add(sc.Period+sc.Duration)); err != nil {
		return Report{}, err
	}
	rec.Stopping()
	rusage1, err := cpu.Now()
	if err != nil {
		return Report{}, err
	}
	// Memory is measured at the end, after recording stopped: the GC it
	// forces would otherwise show up as lateness.
	mem := heapAndStacks() - before
	s.Stop()
	stopped = true
	r := Report{Probes: rec.Probes(), Errors: rec.errors.Load(), Lateness: rec.lateness.dist(),
		Reaction: rec.reaction.dist(), ReadySets: store.Sets(), ProbesExpected: expected,
		MemPerWorker: float64(mem) / float64(sc.N)}
	if f := rec.firstFail.Load(); f != nil {
		r.FirstError = *f
	}
	if r.Probes > 0 {
		r.CPUPerProbe = (rusage1 - rusage0) / time.Duration(r.Probes)
	}
	return r, nil
}

func sleepUntil(ctx context.Context, t time.Time) error {
	timer := time.NewTimer(time.Until(t))
	defer timer.Stop()
	select {
	case <-timer.C:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("interrupted: %w", ctx.Err())
	}
}

// heapAndStacks is the live heap and the goroutine stacks after a GC.
func heapAndStacks() int64 {
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return int64(ms.HeapAlloc) + int64(ms.StackInuse)
}
