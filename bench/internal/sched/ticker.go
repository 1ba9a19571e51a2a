package sched

import (
	"context"
	"fmt"
	"sync"
	"time"

	"vigil.dev/vigil/bench/internal/impl"
	"vigil.dev/vigil/internal/probe/prober"
)

// Ticker is the naive scheduler, shaped like kubelet's probe workers: one
// goroutine per target, a time.Ticker started when the first probe is
// due, a probe per tick, thresholds counted in the goroutine.
type Ticker struct {
	// Impl names the probers it runs ("vigil" or "kubelet").
	Impl string

	cancel context.CancelFunc
	wg     sync.WaitGroup
}

// Start builds a prober per target and starts its goroutine.
func (s *Ticker) Start(targets []Target, rec *Recorder, store *Store) error {
	ps := make([]prober.Prober, len(targets))
	for i, t := range targets {
		im, err := impl.Find(t.Kind, s.Impl)
		if err != nil {
			return err
		}
		if ps[i], err = im.New(t.Addr, t.Path, t.Timeout); err != nil {
			return fmt.Errorf("target %d: %w", t.ID, err)
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	s.cancel = cancel
	for i, t := range targets {
		s.wg.Add(1)
		go func() {
			defer s.wg.Done()
			tickerWorker(ctx, t, ps[i], rec, store)
		}()
	}
	return nil
}

// Stop ends every worker and waits for them.
func (s *Ticker) Stop() {
	if s.cancel != nil {
		s.cancel()
	}
	s.wg.Wait()
}

func tickerWorker(ctx context.Context, t Target, p prober.Prober, rec *Recorder, store *Store) {
	first := time.NewTimer(time.Until(t.First))
	defer first.Stop()
	select {
	case <-first.C:
	case <-ctx.Done():
		return
	}
	origin := time.Now()
	tick := time.NewTicker(t.Period)
	defer tick.Stop()
	th := thresholds{published: false, failure: t.FailureThreshold, success: t.SuccessThreshold}
	scheduled := t.First
	for {
		started := time.Now()
		out := probeOnce(ctx, p, t.Timeout)
		ended := time.Now()
		rec.Probe(t.ID, scheduled, started, out)
		if ready, changed := th.observe(out.Result); changed {
			store.SetReady(t.ID, ready)
			rec.Reaction(time.Since(ended))
		}
		select {
		case now := <-tick.C:
			// The k-th tick is due k periods after the ticker started.
			k := now.Sub(origin) / t.Period
			scheduled = origin.Add(k * t.Period)
		case <-ctx.Done():
			return
		}
	}
}

func probeOnce(ctx context.Context, p prober.Prober, timeout time.Duration) prober.Outcome {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	return p.Probe(ctx)
}

// thresholds publishes readiness after runs of equal results, like a
// probe worker (starting not ready).
type thresholds struct {
	published        bool
	run              int
	last             bool
	failure, success int
}

func (t *thresholds) observe(r prober.Result) (ready, changed bool) {
	ok := r == prober.Success || r == prober.Warning
	if ok == t.last {
		t.run++
	} else {
		t.last, t.run = ok, 1
	}
	need := t.failure
	if ok {
		need = t.success
	}
	if ok != t.published && t.run >= need {
		t.published = ok
		return ok, true
	}
	return t.published, false
}
