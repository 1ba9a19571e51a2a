package probe

import (
	"context"
	"fmt"
	"log/slog"
	"runtime"
	"slices"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/types"

	"vigil.dev/vigil/internal/probe/prober"
)

type nopEffects struct{}

func (nopEffects) SetReady(types.UID, bool, string, string) {}
func (nopEffects) LivenessFailed(types.UID, string)         {}
func (nopEffects) Event(types.UID, string, string, string)  {}

type instantProber struct{}

func (instantProber) Probe(context.Context) prober.Outcome {
	return prober.Outcome{Result: prober.Success}
}

func buildInstant(Binding) (prober.Prober, error) { return instantProber{}, nil }

// cpuTime is the CPU the process has used, user and system.
func cpuTime() time.Duration {
	var r syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &r); err != nil {
		return 0
	}
	return time.Duration(r.Utime.Nano() + r.Stime.Nano())
}

func percentile(sorted []time.Duration, p float64) time.Duration {
	return sorted[int(p*float64(len(sorted)-1))]
}

// BenchmarkManager10kTargets measures the scheduling itself: 10,000 VMIs
// with a readiness probe every 10 s (the goal: 1,000 probes a second) and
// every 1 s (ten times that), against probers that answer at once, on the
// real clock. It reports the CPU per probe, the lateness of the probes
// (p50, p99, max), the heap per worker, and the reaction of published
// results (each VMI's first success makes it Ready): the time from a
// probe's end to the return of its SetReady call.
func BenchmarkManager10kTargets(b *testing.B) {
	for _, period := range []int32{10, 1} {
		b.Run(fmt.Sprintf("period=%ds", period), func(b *testing.B) { benchmarkTargets(b, 10000, period) })
	}
}

func benchmarkTargets(b *testing.B, targets int, period int32) {
	lateness := make([]time.Duration, b.N)
	reaction := make([]time.Duration, targets)
	var n, published atomic.Int64
	var measuring atomic.Bool
	done := make(chan struct{})
	trace := func(tr Trace) {
		if !measuring.Load() {
			return
		}
		if tr.Published {
			if j := published.Add(1) - 1; j < int64(targets) {
				reaction[j] = tr.Reaction
			}
		}
		i := n.Add(1) - 1
		if i < int64(len(lateness)) {
			lateness[i] = tr.Started.Sub(tr.Scheduled)
		}
		if i == int64(len(lateness))-1 {
			close(done)
		}
	}
	runtime.GC()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	m := NewManager(Options{Effects: nopEffects{}, Build: buildInstant, Trace: trace, Logger: slog.New(slog.DiscardHandler)})
	defer m.Stop()
	started := time.Now().Add(-time.Hour)
	for i := range targets {
		// restarted: each worker waits a random part of its period once,
		// spreading the probes over the period.
		m.AddVMI(vmi(fmt.Sprintf("uid-%d", i), fmt.Sprintf("vm-%d", i), httpProbe(0, period, 1, 3), nil),
			Target{IP: "10.0.0.2"}, started, nil, true)
	}
	runtime.GC()
	runtime.ReadMemStats(&after)
	cpu0 := cpuTime()
	b.ResetTimer()
	measuring.Store(true)
	<-done
	b.StopTimer()
	cpu := cpuTime() - cpu0
	m.Stop() // no trace call after this
	slices.Sort(lateness)
	b.ReportMetric(float64(cpu.Nanoseconds())/float64(b.N), "cpu-ns/probe")
	b.ReportMetric(float64(percentile(lateness, 0.5).Microseconds()), "p50-late-µs")
	b.ReportMetric(float64(percentile(lateness, 0.99).Microseconds()), "p99-late-µs")
	b.ReportMetric(float64(lateness[len(lateness)-1].Microseconds()), "max-late-µs")
	b.ReportMetric(float64(after.HeapAlloc-before.HeapAlloc)/float64(targets), "heap-B/worker")
	if k := min(int(published.Load()), targets); k > 0 {
		r := reaction[:k]
		slices.Sort(r)
		b.ReportMetric(float64(percentile(r, 0.99).Nanoseconds()), "p99-reaction-ns")
	}
}
