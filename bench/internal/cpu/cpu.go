package cpu

import (
	"context"
	"fmt"
	"runtime"
	"slices"
	"syscall"
	"time"

	"vigil.dev/vigil/internal/probe/prober"
)

// Result is the cost of one implementation, per probe.
type Result struct {
	Probes     int
	CPU        time.Duration // user + system, median round
	CPUMin     time.Duration // cheapest round
	CPUMax     time.Duration // dearest round
	Wall       time.Duration // median round
	Allocs     float64       // over all rounds
	AllocBytes float64
	NotSuccess int    // probes that did not end in Success (should be 0)
	FirstError string // the output of the first such probe

	rounds        []round
	mallocs, heap uint64
}

type round struct{ cpu, wall time.Duration }

// Run measures every prober of ps in rounds interleaved rounds of perRound
// sequential probes each, after warmup probes of each. It stops (with an
// error) once maxWall has passed.
func Run(ps []prober.Prober, warmup, rounds, perRound int, timeout, maxWall time.Duration) ([]Result, error) {
	for _, p := range ps {
		for range warmup {
			probe(p, timeout)
		}
	}
	res := make([]Result, len(ps))
	deadline := time.Now().Add(maxWall)
	for r := range rounds {
		for i, p := range ps {
			if err := measureRound(p, perRound, timeout, &res[i]); err != nil {
				return nil, err
			}
		}
		if time.Now().After(deadline) {
			return nil, fmt.Errorf("stopped after %d of %d rounds: over %v", r+1, rounds, maxWall)
		}
	}
	for i := range res {
		res[i].summarise()
	}
	return res, nil
}

func measureRound(p prober.Prober, n int, timeout time.Duration, r *Result) error {
	runtime.GC()
	var ms0, ms1 runtime.MemStats
	runtime.ReadMemStats(&ms0)
	ru0, err := Now()
	if err != nil {
		return err
	}
	start := time.Now()
	for range n {
		if out := probe(p, timeout); out.Result != prober.Success {
			if r.NotSuccess == 0 {
				r.FirstError = out.Output
			}
			r.NotSuccess++
		}
	}
	wall := time.Since(start)
	ru1, err := Now()
	if err != nil {
		return err
	}
	runtime.ReadMemStats(&ms1)
	r.Probes += n
	r.mallocs += ms1.Mallocs - ms0.Mallocs
	r.heap += ms1.TotalAlloc - ms0.TotalAlloc
	r.rounds = append(r.rounds, round{cpu: (ru1 - ru0) / time.Duration(n), wall: wall / time.Duration(n)})
	return nil
}

func (r *Result) summarise() {
	if len(r.rounds) == 0 {
		return
	}
	cpus := make([]time.Duration, len(r.rounds))
	walls := make([]time.Duration, len(r.rounds))
	for i, x := range r.rounds {
		cpus[i], walls[i] = x.cpu, x.wall
	}
	slices.Sort(cpus)
	slices.Sort(walls)
	r.CPU, r.CPUMin, r.CPUMax = cpus[len(cpus)/2], cpus[0], cpus[len(cpus)-1]
	r.Wall = walls[len(walls)/2]
	r.Allocs = float64(r.mallocs) / float64(r.Probes)
	r.AllocBytes = float64(r.heap) / float64(r.Probes)
}

func probe(p prober.Prober, timeout time.Duration) prober.Outcome {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	return p.Probe(ctx)
}

// Now is the process's CPU time so far, user plus system.
func Now() (time.Duration, error) {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0, fmt.Errorf("getrusage: %w", err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano()), nil
}
