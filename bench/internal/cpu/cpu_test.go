package cpu

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"vigil.dev/vigil/internal/probe/prober"
)

// counting succeeds except every fifth probe, and counts its calls.
type counting struct{ n atomic.Int64 }

func (c *counting) Probe(ctx context.Context) prober.Outcome {
	if _, ok := ctx.Deadline(); !ok {
		return prober.Outcome{Result: prober.Unknown, Output: "no deadline"}
	}
	if c.n.Add(1)%5 == 0 {
		return prober.Outcome{Result: prober.Failure, Output: "fifth"}
	}
	return prober.Outcome{Result: prober.Success}
}

func TestRunCountsEveryProbe(t *testing.T) {
	a, b := &counting{}, &counting{}
	res, err := Run([]prober.Prober{a, b}, 10, 4, 25, time.Second, time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	if a.n.Load() != 110 || b.n.Load() != 110 {
		t.Fatalf("probes run: %d and %d, want 10 warm-up + 4×25 each", a.n.Load(), b.n.Load())
	}
	for i, r := range res {
		if r.Probes != 100 || r.NotSuccess != 20 || r.FirstError != "fifth" {
			t.Errorf("result %d: %+v", i, r)
		}
		if r.CPUMin > r.CPU || r.CPU > r.CPUMax || len(r.rounds) != 4 {
			t.Errorf("result %d: rounds %v, min %v median %v max %v", i, r.rounds, r.CPUMin, r.CPU, r.CPUMax)
		}
	}
}

func TestRunStopsAtMaxWall(t *testing.T) {
	_, err := Run([]prober.Prober{&counting{}}, 0, 1000, 1, time.Second, 0)
	if err == nil {
		t.Fatal("no error with a zero time budget")
	}
}

func TestNowAdvances(t *testing.T) {
	t0, err := Now()
	if err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for x := 0; time.Now().Before(deadline); x++ {
		if t1, _ := Now(); t1 > t0 {
			return
		}
	}
	t.Fatal("process CPU time did not advance while spinning")
}
