package probe

import (
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/types"

	"vigil.dev/vigil/internal/probe/prober"
)

// maxAttempts bounds the attempts at one probe that end in an internal
// error (prober.Unknown): the probe is retried at once, and after this many
// attempts the period's probe is given up (kubelet's maxProbeRetries).
const maxAttempts = 3

// Event reasons the engine emits (kubelet's and KubeVirt's words).
const (
	ReasonUnhealthy            = "Unhealthy"
	ReasonProbeWarning         = "ProbeWarning"
	ReasonGuestAgentPingFailed = "GuestAgentPingFailed"
)

// Event is an event the state machine asks for; the manager hands it to
// Effects.Event. Repeats are left to the event recorder, which counts
// equal events on one stored Event instead of storing each.
type Event struct {
	Type    string // corev1.EventTypeNormal or corev1.EventTypeWarning
	Reason  string
	Message string
}

// Config is what a worker's state starts from.
type Config struct {
	Kind   Kind
	Type   Type
	Timing Timing
	UID    types.UID
	// Started is when the VM's process started: the first probe is due
	// InitialDelay after it.
	Started time.Time
	// Added is when the engine learnt of the VMI; no probe is due before.
	Added time.Time
	// Spread is a one-time wait before the first probe, given only when the
	// daemon has just (re)started with the VMI already running, so that
	// thousands of probes do not fire together. Zero for a new VMI.
	Spread time.Duration
	// Initial overrides the initial published result (readiness Failure,
	// liveness Success); prober.Unknown keeps the default. The manager
	// sets it after a daemon restart to what the VMI's status already says.
	Initial prober.Result
}

// Run is the current streak of equal results.
type Run struct {
	Result prober.Result
	Count  int32
}

// Step is what one observation asks of the manager.
type Step struct {
	// Publish is the new published result, nil when it did not change.
	Publish *prober.Result
	// Message explains a published Failure ("Readiness probe failed: ...").
	Message string
	// Events to record, in order.
	Events []Event
}

// State is one worker's decision logic: when the next probe is due, and
// what a probe's outcome changes. It never reads the clock; every time is
// an input. It is not safe for concurrent use.
type State struct {
	cfg       Config
	published prober.Result
	run       Run
	// slot is the scheduled start of the current period's probe; due is
	// when the next attempt may start (the slot, or at once for a retry).
	slot, due time.Time
	attempts  int
	running   bool
	hold      bool
	stopped   bool

	last           prober.Outcome
	lastProbe      time.Time
	lastTransition time.Time
}

// NewState starts a worker's state. The first probe is due at exactly
// Started + InitialDelay, or at Added + Spread if that is later.
func NewState(cfg Config) *State {
	first := cfg.Started.Add(cfg.Timing.InitialDelay)
	if earliest := cfg.Added.Add(cfg.Spread); earliest.After(first) {
		first = earliest
	}
	s := &State{cfg: cfg, slot: first, due: first, published: cfg.Initial}
	if s.published != prober.Success && s.published != prober.Failure {
		s.published = initialResult(cfg.Kind)
	}
	return s
}

// initialResult is what a worker publishes before any probe: not ready,
// but alive (k8s).
func initialResult(k Kind) prober.Result {
	if k == Liveness {
		return prober.Success
	}
	return prober.Failure
}

// Next is when the next probe is due; ok is false while a probe runs and
// once the worker is on hold or stopped.
func (s *State) Next() (at time.Time, ok bool) {
	if s.running || s.hold || s.stopped {
		return time.Time{}, false
	}
	return s.due, true
}

// Begin marks a probe as started at now and returns the time it was
// scheduled for (now minus that is its lateness). ok is false when no
// probe may start: one is running, the worker is done, or now is early.
func (s *State) Begin(now time.Time) (scheduled time.Time, ok bool) {
	at, ok := s.Next()
	if !ok || now.Before(at) {
		return time.Time{}, false
	}
	s.running = true
	return at, true
}

// Observe takes the outcome of the probe that Begin started, which ran
// from started to ended, and returns what changes.
func (s *State) Observe(o prober.Outcome, started, ended time.Time) Step {
	if !s.running {
		return Step{}
	}
	s.running = false
	if s.stopped || s.hold {
		return Step{} // the VMI went away while the probe ran
	}
	s.last, s.lastProbe = o, started
	if o.Result == prober.Unknown {
		return s.internalError(o, started, ended)
	}
	s.attempts = 0
	step := Step{Events: s.outcomeEvents(o)}
	r := o.Result
	if r == prober.Warning {
		r = prober.Success
	}
	s.count(r)
	if r != s.published && s.run.Count >= s.threshold(r) {
		s.publish(r, ended)
		step.Publish = &r
		if r == prober.Failure {
			step.Message = s.failedMessage(o.Output)
		}
		s.hold = s.cfg.Kind == Liveness && r == prober.Failure
	}
	s.advance(started, ended)
	return step
}

// Stop ends probing: the VMI is being stopped or deleted. Readiness
// publishes Failure at once; liveness just stops (it never kills a VMI
// that is already going away). A probe still running is ignored.
func (s *State) Stop(now time.Time, message string) Step {
	if s.stopped {
		return Step{}
	}
	s.stopped = true
	if s.cfg.Kind != Readiness || s.published == prober.Failure {
		return Step{}
	}
	s.publish(prober.Failure, now)
	f := prober.Failure
	return Step{Publish: &f, Message: message}
}

// internalError retries at once up to maxAttempts, then gives the probe up:
// no count or result changes, one event says why.
func (s *State) internalError(o prober.Outcome, started, ended time.Time) Step {
	s.attempts++
	if s.attempts < maxAttempts {
		s.due = ended
		return Step{}
	}
	s.attempts = 0
	s.advance(started, ended)
	return Step{Events: []Event{{corev1.EventTypeWarning, ReasonUnhealthy,
		string(s.cfg.Kind) + " probe errored: " + o.Output}}}
}

// outcomeEvents are the events of one probe's outcome: kubelet emits one
// per warning or failure; the recorder aggregates repeats into a count.
func (s *State) outcomeEvents(o prober.Outcome) []Event {
	switch o.Result {
	case prober.Warning:
		return []Event{{corev1.EventTypeWarning, ReasonProbeWarning, string(s.cfg.Kind) + " probe warning: " + o.Output}}
	case prober.Failure:
		evs := []Event{{corev1.EventTypeWarning, ReasonUnhealthy, s.failedMessage(o.Output)}}
		if s.cfg.Type == TypePing {
			// The ping prober's output already begins with these words.
			detail := strings.TrimPrefix(o.Output, "guest agent ping failed: ")
			evs = append(evs, Event{corev1.EventTypeWarning, ReasonGuestAgentPingFailed, "Guest agent ping failed: " + detail})
		}
		return evs
	}
	return nil
}

func (s *State) failedMessage(output string) string {
	return string(s.cfg.Kind) + " probe failed: " + output
}

// count extends the run of equal results or starts a new one.
func (s *State) count(r prober.Result) {
	if s.run.Result == r && s.run.Count > 0 {
		s.run.Count++
		return
	}
	s.run = Run{Result: r, Count: 1}
}

func (s *State) threshold(r prober.Result) int32 {
	if r == prober.Failure {
		return s.cfg.Timing.FailureThreshold
	}
	return s.cfg.Timing.SuccessThreshold
}

func (s *State) publish(r prober.Result, at time.Time) {
	s.published, s.lastTransition = r, at
}

// advance schedules the next period's probe: one period after the
// scheduled start of the last, so that a little lateness does not shift
// the grid; but one period after its actual start if that was a whole
// period or more late (a stalled host: no burst of catch-up probes); and
// never before the last probe ended (an overrun delays the next probe;
// probes do not pile up).
func (s *State) advance(started, ended time.Time) {
	period := s.cfg.Timing.Period
	if started.Sub(s.slot) >= period {
		s.slot = started
	}
	s.slot = s.slot.Add(period)
	if ended.After(s.slot) {
		s.slot = ended
	}
	s.due = s.slot
}

// Snapshot is a read-only view of a worker's state.
type Snapshot struct {
	Published      prober.Result
	Run            Run
	Last           prober.Outcome
	LastProbe      time.Time
	LastTransition time.Time
	// Next is when the next probe is due; zero while one runs or when none
	// will.
	Next    time.Time
	Running bool
	// Hold: liveness failed, no more probes. Stopped: the VMI is going away.
	Hold    bool
	Stopped bool
}

// Snapshot returns the state as it is now.
func (s *State) Snapshot() Snapshot {
	next, _ := s.Next()
	return Snapshot{Published: s.published, Run: s.run, Last: s.last, LastProbe: s.lastProbe,
		LastTransition: s.lastTransition, Next: next, Running: s.running, Hold: s.hold, Stopped: s.stopped}
}
