package sched

import (
	"context"
	"net"
	"testing"
	"time"

	"vigil.dev/vigil/bench/internal/impl"
	"vigil.dev/vigil/bench/internal/target"
	"vigil.dev/vigil/internal/probe/prober"
)

func TestThresholds(t *testing.T) {
	th := thresholds{failure: 2, success: 1}
	steps := []struct {
		r              prober.Result
		ready, changed bool
	}{
		{prober.Failure, false, false}, // starts not ready: no change
		{prober.Success, true, true},
		{prober.Failure, true, false}, // one failure of two
		{prober.Warning, true, false}, // a warning is a success
		{prober.Failure, true, false},
		{prober.Failure, false, true},
		{prober.Success, true, true},
	}
	for i, s := range steps {
		ready, changed := th.observe(s.r)
		if ready != s.ready || changed != s.changed {
			t.Fatalf("step %d (%v): ready %v changed %v, want %v %v", i, s.r, ready, changed, s.ready, s.changed)
		}
	}
}

func TestSamplesDist(t *testing.T) {
	s := newSamples(1000)
	for i := 1; i <= 1000; i++ {
		s.add(time.Duration(i) * time.Millisecond)
	}
	s.add(time.Hour) // over capacity: dropped
	d := s.dist()
	if d.N != 1000 || d.P50 != 501*time.Millisecond || d.P99 != 991*time.Millisecond || d.Max != time.Second {
		t.Fatalf("dist = %+v", d)
	}
	if (&samples{}).dist() != (Dist{}) {
		t.Fatal("empty dist not zero")
	}
}

func TestTargetsLayout(t *testing.T) {
	sc := Scenario{N: 4, Period: 2 * time.Second, Timeout: time.Second, Kind: impl.HTTP, Ports: target.Ports{HTTP: 80, TCP: 81}}
	start := time.Unix(100, 0)
	ts := Targets(sc, start)
	for i, tg := range ts {
		if want := start.Add(time.Duration(i) * 500 * time.Millisecond); !tg.First.Equal(want) {
			t.Errorf("target %d first at %v, want %v", i, tg.First, want)
		}
		if tg.Flips != (i%2 == 0) || tg.Addr.Port != 80 || (tg.Flips == (tg.Path == "/ok")) {
			t.Errorf("target %d: %+v", i, tg)
		}
	}
}

// TestRunSchedulers runs every scheduler briefly against an in-process
// server: each target probed about once per period, none in error.
func TestRunSchedulers(t *testing.T) {
	if testing.Short() {
		t.Skip("takes a few seconds")
	}
	h, tl := listen(t), listen(t)
	go target.ServeHTTP(h)
	go target.ServeTCP(tl)
	ports := target.Ports{HTTP: h.Addr().(*net.TCPAddr).Port, TCP: tl.Addr().(*net.TCPAddr).Port}
	schedulers := map[string]func() Scheduler{
		"manager":        func() Scheduler { return &Manager{} },
		"ticker":         func() Scheduler { return &Ticker{Impl: "vigil"} },
		"ticker+kubelet": func() Scheduler { return &Ticker{Impl: "kubelet"} },
	}
	for name, mk := range schedulers {
		for _, kind := range []impl.Kind{impl.HTTP, impl.TCP} {
			sc := Scenario{N: 20, Period: time.Second, Timeout: time.Second, Kind: kind, Ports: ports, Duration: time.Second}
			rep, err := Run(context.Background(), mk(), sc)
			if err != nil {
				t.Fatalf("%s %s: %v", name, kind, err)
			}
			// Two periods: 40 probes, give or take the ones at the edges.
			if rep.Probes < 30 || rep.Probes > 50 || rep.Errors != 0 || rep.ReadySets < 10 || rep.Reaction.N != rep.ReadySets {
				t.Errorf("%s %s: %+v", name, kind, rep)
			}
		}
	}
}

func listen(t *testing.T) net.Listener {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	return ln
}
