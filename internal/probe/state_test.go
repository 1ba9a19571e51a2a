package probe

import (
	"slices"
	"testing"
	"time"

	"vigil.dev/vigil/internal/probe/prober"
)

var t0 = time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)

const (
	S = prober.Success
	W = prober.Warning
	F = prober.Failure
	U = prober.Unknown
)

// at is t0 plus d.
func at(d time.Duration) time.Time { return t0.Add(d) }

func timing(delay, period time.Duration, success, failure int32) Timing {
	return Timing{InitialDelay: delay, Period: period, Timeout: time.Second, SuccessThreshold: success, FailureThreshold: failure}
}

// step is one probe in a scenario: it starts at start (offset from t0),
// lasts took, and has result; then the state must publish pub (U for
// nothing), ask for events with reasons evs, and have the next probe due
// at next (a negative next: none due).
type step struct {
	start, took time.Duration
	result      prober.Result
	pub         prober.Result
	evs         []string
	next        time.Duration
}

func runSteps(t *testing.T, s *State, steps []step) {
	t.Helper()
	for i, st := range steps {
		sched, ok := s.Begin(at(st.start))
		if !ok {
			t.Fatalf("step %d: Begin(%v) refused; next due %v", i, st.start, s.Snapshot().Next.Sub(t0))
		}
		if _, again := s.Begin(at(st.start)); again {
			t.Fatalf("step %d: a second Begin while a probe runs was allowed (overlap)", i)
		}
		if sched.After(at(st.start)) {
			t.Fatalf("step %d: scheduled %v is after the start %v", i, sched.Sub(t0), st.start)
		}
		got := s.Observe(prober.Outcome{Result: st.result, Output: "out"}, at(st.start), at(st.start+st.took))
		pub := prober.Unknown
		if got.Publish != nil {
			pub = *got.Publish
		}
		if pub != st.pub {
			t.Errorf("step %d (%v): published %v, want %v", i, st.result, pub, st.pub)
		}
		var reasons []string
		for _, e := range got.Events {
			reasons = append(reasons, e.Reason)
		}
		if !slices.Equal(reasons, st.evs) {
			t.Errorf("step %d (%v): events %v, want %v", i, st.result, reasons, st.evs)
		}
		next, ok := s.Next()
		switch {
		case st.next < 0 && ok:
			t.Errorf("step %d: next probe due at %v, want none", i, next.Sub(t0))
		case st.next >= 0 && (!ok || !next.Equal(at(st.next))):
			t.Errorf("step %d: next probe due at %v (ok %v), want %v", i, next.Sub(t0), ok, st.next)
		}
	}
}

const sec = time.Second

func TestStateScenarios(t *testing.T) {
	unhealthy := []string{ReasonUnhealthy}
	cases := []struct {
		name  string
		cfg   Config
		steps []step
	}{{
		name: "readiness defaults: one success publishes, three failures publish",
		cfg:  Config{Kind: Readiness, Type: TypeHTTP, Timing: timing(0, 10*sec, 1, 3), Started: t0, Added: t0},
		steps: []step{
			{start: 0, took: 5 * time.Millisecond, result: S, pub: S, next: 10 * sec},
			{start: 10 * sec, result: F, pub: U, evs: unhealthy, next: 20 * sec},
			{start: 20 * sec, result: F, pub: U, evs: unhealthy, next: 30 * sec},
			{start: 30 * sec, result: F, pub: F, evs: unhealthy, next: 40 * sec},
			{start: 40 * sec, result: F, pub: U, evs: unhealthy, next: 50 * sec},
			{start: 50 * sec, result: S, pub: S, next: 60 * sec},
		},
	}, {
		name: "successThreshold 3 after failures; a failure breaks the run",
		cfg:  Config{Kind: Readiness, Type: TypeHTTP, Timing: timing(120*sec, 20*sec, 3, 3), Started: t0, Added: t0},
		steps: []step{
			{start: 120 * sec, result: S, pub: U, next: 140 * sec},
			{start: 140 * sec, result: S, pub: U, next: 160 * sec},
			{start: 160 * sec, result: F, pub: U, evs: unhealthy, next: 180 * sec},
			{start: 180 * sec, result: S, pub: U, next: 200 * sec},
			{start: 200 * sec, result: S, pub: U, next: 220 * sec},
			{start: 220 * sec, result: S, pub: S, next: 240 * sec},
			{start: 240 * sec, result: S, pub: U, next: 260 * sec},
		},
	}, {
		name: "liveness: failures publish at the threshold and the worker goes on hold",
		cfg:  Config{Kind: Liveness, Type: TypeTCP, Timing: timing(0, 10*sec, 1, 2), Started: t0, Added: t0},
		steps: []step{
			{start: 0, result: S, pub: U, next: 10 * sec},
			{start: 10 * sec, result: F, pub: U, evs: unhealthy, next: 20 * sec},
			{start: 20 * sec, result: F, pub: F, evs: unhealthy, next: -1},
		},
	}, {
		name: "warning counts as success and asks for ProbeWarning",
		cfg:  Config{Kind: Readiness, Type: TypeHTTP, Timing: timing(0, 10*sec, 1, 1), Started: t0, Added: t0},
		steps: []step{
			{start: 0, result: W, pub: S, evs: []string{ReasonProbeWarning}, next: 10 * sec},
			{start: 10 * sec, result: F, pub: F, evs: unhealthy, next: 20 * sec},
			{start: 20 * sec, result: W, pub: S, evs: []string{ReasonProbeWarning}, next: 30 * sec},
		},
	}, {
		name: "guest agent ping failures also ask for GuestAgentPingFailed",
		cfg:  Config{Kind: Readiness, Type: TypePing, Timing: timing(0, 10*sec, 1, 1), Started: t0, Added: t0},
		steps: []step{
			{start: 0, result: F, pub: U, evs: []string{ReasonUnhealthy, ReasonGuestAgentPingFailed}, next: 10 * sec},
			{start: 10 * sec, result: S, pub: S, next: 20 * sec},
		},
	}, {
		name: "internal errors: retried at once, discarded after three attempts, counts untouched",
		cfg:  Config{Kind: Readiness, Type: TypeHTTP, Timing: timing(0, 10*sec, 1, 3), Started: t0, Added: t0},
		steps: []step{
			{start: 0, result: S, pub: S, next: 10 * sec},
			{start: 10 * sec, result: F, pub: U, evs: unhealthy, next: 20 * sec},
			{start: 20 * sec, result: F, pub: U, evs: unhealthy, next: 30 * sec},
			{start: 30 * sec, took: 10 * time.Millisecond, result: U, pub: U, next: 30*sec + 10*time.Millisecond},
			{start: 30*sec + 10*time.Millisecond, took: 10 * time.Millisecond, result: U, pub: U, next: 30*sec + 20*time.Millisecond},
			{start: 30*sec + 20*time.Millisecond, took: 10 * time.Millisecond, result: U, pub: U, evs: unhealthy, next: 40 * sec},
			// the run of failures survived the discarded probe: this is the third
			{start: 40 * sec, result: F, pub: F, evs: unhealthy, next: 50 * sec},
		},
	}, {
		name: "internal error then success within the retries: the success counts",
		cfg:  Config{Kind: Readiness, Type: TypeTCP, Timing: timing(0, 10*sec, 1, 3), Started: t0, Added: t0},
		steps: []step{
			{start: 0, took: sec, result: U, pub: U, next: sec},
			{start: sec, took: sec, result: S, pub: S, next: 10 * sec},
		},
	}, {
		name: "lateness does not shift the grid: periods are measured from the scheduled start",
		cfg:  Config{Kind: Liveness, Type: TypeHTTP, Timing: timing(5*sec, 10*sec, 1, 3), Started: t0, Added: t0},
		steps: []step{
			{start: 5*sec + 7*time.Millisecond, took: 30 * time.Millisecond, result: S, pub: U, next: 15 * sec},
			{start: 15*sec + 2*time.Millisecond, took: 900 * time.Millisecond, result: S, pub: U, next: 25 * sec},
		},
	}, {
		name: "a start a whole period late re-anchors the grid: no burst of catch-up probes",
		cfg:  Config{Kind: Readiness, Type: TypeTCP, Timing: timing(0, 10*sec, 1, 3), Started: t0, Added: t0},
		steps: []step{
			{start: 0, result: S, pub: S, next: 10 * sec},
			{start: 35 * sec, result: S, pub: U, next: 45 * sec},
			{start: 54 * sec, result: S, pub: U, next: 55 * sec},
		},
	}, {
		name: "an overrun delays the next probe to the end of the last: no pile-up",
		cfg:  Config{Kind: Readiness, Type: TypeExec, Timing: timing(0, 10*sec, 1, 3), Started: t0, Added: t0},
		steps: []step{
			{start: 0, took: 25 * sec, result: S, pub: S, next: 25 * sec},
			{start: 25 * sec, took: sec, result: S, pub: U, next: 35 * sec},
		},
	}, {
		name: "restart with the VMI ready: readiness starts published Success",
		cfg: Config{Kind: Readiness, Type: TypeHTTP, Timing: timing(0, 10*sec, 1, 2), Started: t0.Add(-time.Hour), Added: t0,
			Spread: 4 * sec, Initial: S},
		steps: []step{
			{start: 4 * sec, result: S, pub: U, next: 14 * sec},
			{start: 14 * sec, result: F, pub: U, evs: unhealthy, next: 24 * sec},
			{start: 24 * sec, result: F, pub: F, evs: unhealthy, next: 34 * sec},
		},
	}}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			runSteps(t, NewState(tc.cfg), tc.steps)
		})
	}
}

func TestStateInitialResults(t *testing.T) {
	for _, tc := range []struct {
		kind    Kind
		initial prober.Result
		want    prober.Result
	}{
		{Readiness, U, F},
		{Liveness, U, S},
		{Readiness, S, S},
		{Liveness, F, F},
		{Readiness, W, F}, // only Success or Failure can be published
	} {
		s := NewState(Config{Kind: tc.kind, Timing: timing(0, 10*sec, 1, 3), Started: t0, Added: t0, Initial: tc.initial})
		if got := s.Snapshot().Published; got != tc.want {
			t.Errorf("%s with Initial %v: published %v, want %v", tc.kind, tc.initial, got, tc.want)
		}
	}
}

func TestStateFirstProbe(t *testing.T) {
	for _, tc := range []struct {
		name           string
		started, added time.Duration
		delay, spread  time.Duration
		want           time.Duration
	}{
		{name: "new VMI: exactly start + initialDelay", started: 0, added: 300 * time.Millisecond, delay: 120 * sec, want: 120 * sec},
		{name: "new VMI without delay: at once", started: 0, added: 0, want: 0},
		{name: "new VMI learnt of after its delay: when added", started: 0, added: 3 * sec, delay: 2 * sec, want: 3 * sec},
		{name: "restart, VMI long running: added + spread", started: -time.Hour, added: 0, delay: 120 * sec, spread: 7300 * time.Millisecond, want: 7300 * time.Millisecond},
		{name: "restart, VMI still in its delay: the delay wins", started: -10 * sec, added: 0, delay: 120 * sec, spread: 9 * sec, want: 110 * sec},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := NewState(Config{Kind: Readiness, Timing: timing(tc.delay, 10*sec, 1, 3),
				Started: at(tc.started), Added: at(tc.added), Spread: tc.spread})
			next, ok := s.Next()
			if !ok || !next.Equal(at(tc.want)) {
				t.Fatalf("first probe due at %v (ok %v), want %v", next.Sub(t0), ok, tc.want)
			}
			if _, ok := s.Begin(at(tc.want - time.Nanosecond)); ok {
				t.Fatalf("Begin a nanosecond early was allowed")
			}
			if sched, ok := s.Begin(at(tc.want)); !ok || !sched.Equal(at(tc.want)) {
				t.Fatalf("Begin at the due time: scheduled %v ok %v", sched.Sub(t0), ok)
			}
		})
	}
}

func TestStateStop(t *testing.T) {
	t.Run("readiness publishes Failure at once and stops", func(t *testing.T) {
		s := NewState(Config{Kind: Readiness, Timing: timing(0, 10*sec, 1, 3), Started: t0, Added: t0})
		runSteps(t, s, []step{{start: 0, result: S, pub: S, next: 10 * sec}})
		st := s.Stop(at(sec), "stopping")
		if st.Publish == nil || *st.Publish != F || st.Message != "stopping" {
			t.Fatalf("Stop: %+v, want Failure published with the message", st)
		}
		if _, ok := s.Next(); ok {
			t.Fatalf("a probe is still due after Stop")
		}
		if again := s.Stop(at(2*sec), "again"); again.Publish != nil {
			t.Fatalf("a second Stop published again")
		}
		snap := s.Snapshot()
		if !snap.Stopped || !snap.LastTransition.Equal(at(sec)) {
			t.Fatalf("snapshot after Stop: %+v", snap)
		}
	})
	t.Run("readiness already failed: nothing to publish", func(t *testing.T) {
		s := NewState(Config{Kind: Readiness, Timing: timing(0, 10*sec, 1, 3), Started: t0, Added: t0})
		if st := s.Stop(t0, "stopping"); st.Publish != nil {
			t.Fatalf("Stop published %v though Failure was already published", *st.Publish)
		}
	})
	t.Run("liveness only stops, and ignores the probe that was running", func(t *testing.T) {
		s := NewState(Config{Kind: Liveness, Timing: timing(0, 10*sec, 1, 1), Started: t0, Added: t0})
		if _, ok := s.Begin(t0); !ok {
			t.Fatal("Begin refused")
		}
		if st := s.Stop(t0, "stopping"); st.Publish != nil {
			t.Fatalf("liveness Stop published %v", *st.Publish)
		}
		if st := s.Observe(prober.Outcome{Result: F}, t0, at(sec)); st.Publish != nil || len(st.Events) != 0 {
			t.Fatalf("an outcome after Stop changed something: %+v", st)
		}
		if s.Snapshot().Published != S {
			t.Fatalf("liveness published %v after Stop", s.Snapshot().Published)
		}
	})
}

func TestStateObserveWithoutBegin(t *testing.T) {
	s := NewState(Config{Kind: Readiness, Timing: timing(0, 10*sec, 1, 1), Started: t0, Added: t0})
	if st := s.Observe(prober.Outcome{Result: S}, t0, t0); st.Publish != nil {
		t.Fatalf("an outcome without Begin was taken: %+v", st)
	}
}

func TestStateMessages(t *testing.T) {
	s := NewState(Config{Kind: Liveness, Type: TypeHTTP, Timing: timing(0, 10*sec, 1, 1), Started: t0, Added: t0})
	s.Begin(t0)
	st := s.Observe(prober.Outcome{Result: F, Output: "HTTP probe failed with statuscode: 500"}, t0, t0)
	want := "Liveness probe failed: HTTP probe failed with statuscode: 500"
	if st.Message != want || len(st.Events) != 1 || st.Events[0].Message != want || st.Events[0].Type != "Warning" {
		t.Fatalf("step %+v, want message and one Warning event %q", st, want)
	}
	snap := s.Snapshot()
	if snap.Run != (Run{Result: F, Count: 1}) || !snap.Hold || snap.Last.Output == "" {
		t.Fatalf("snapshot %+v", snap)
	}
}
