package sched

import (
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"vigil.dev/vigil/bench/internal/impl"
	"vigil.dev/vigil/internal/probe/prober"
)

// Target is one probed endpoint and its schedule.
type Target struct {
	ID   int
	Kind impl.Kind
	Addr prober.Target
	Path string // HTTP only
	// Flips: the target's answer alternates between healthy and not
	// (HTTP only); the others should always succeed.
	Flips bool
	// First is when its first probe is due; then every Period.
	First   time.Time
	Period  time.Duration
	Timeout time.Duration
	// FailureThreshold and SuccessThreshold as in a probe spec.
	FailureThreshold, SuccessThreshold int
}

// Scheduler runs the probes of many targets until stopped.
type Scheduler interface {
	// Start schedules every target and returns. Probes report to rec;
	// published readiness goes to store.
	Start(targets []Target, rec *Recorder, store *Store) error
	// Stop ends all probing and waits for running probes.
	Stop()
}

// Store is where published readiness lands: the benchmark's stand-in for
// the VMI's stored Ready condition.
type Store struct {
	mu    sync.Mutex
	ready map[int]bool
	sets  int
}

// NewStore returns an empty store.
func NewStore() *Store { return &Store{ready: map[int]bool{}} }

// SetReady records target id's readiness.
func (s *Store) SetReady(id int, ready bool) {
	s.mu.Lock()
	s.ready[id] = ready
	s.sets++
	s.mu.Unlock()
}

// Sets is how many SetReady calls were made.
func (s *Store) Sets() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.sets
}

// Recorder collects samples from many goroutines without locks, up to a
// fixed number of each (the runs are bounded, so is memory).
type Recorder struct {
	flips     []bool // by target id
	stopping  atomic.Bool
	probes    atomic.Int64
	errors    atomic.Int64
	lateness  samples
	reaction  samples
	firstFail atomic.Pointer[string]
}

// NewRecorder returns a recorder for targets that keeps at most max
// samples of each kind.
func NewRecorder(targets []Target, max int) *Recorder {
	r := &Recorder{flips: make([]bool, len(targets)), lateness: newSamples(max), reaction: newSamples(max)}
	for _, t := range targets {
		r.flips[t.ID] = t.Flips
	}
	return r
}

// Probe records one probe of target id: scheduled and actual start, and
// its outcome. A steady target's failure is an error of the run.
func (r *Recorder) Probe(id int, scheduled, started time.Time, out prober.Outcome) {
	if r.stopping.Load() {
		return // canceled by the scheduler's Stop: not the target's doing
	}
	r.probes.Add(1)
	if out.Result == prober.Unknown || (!r.flips[id] && out.Result == prober.Failure) {
		r.errors.Add(1)
		if r.firstFail.Load() == nil {
			msg := out.Result.String() + ": " + out.Output
			r.firstFail.CompareAndSwap(nil, &msg)
		}
	}
	r.lateness.add(started.Sub(scheduled))
}

// Stopping makes the recorder ignore what follows: the probes the
// scheduler's Stop cancels.
func (r *Recorder) Stopping() { r.stopping.Store(true) }

// Reaction records the time from a publishing probe's end to its effect.
func (r *Recorder) Reaction(d time.Duration) { r.reaction.add(d) }

// Probes is the number of probes recorded.
func (r *Recorder) Probes() int64 { return r.probes.Load() }

type samples struct {
	n    atomic.Int64
	vals []time.Duration
}

func newSamples(max int) samples { return samples{vals: make([]time.Duration, max)} }

func (s *samples) add(d time.Duration) {
	if i := s.n.Add(1) - 1; i < int64(len(s.vals)) {
		s.vals[i] = d
	}
}

// Dist is a summary of a distribution.
type Dist struct {
	N             int
	P50, P99, Max time.Duration
}

func (s *samples) dist() Dist {
	n := min(int(s.n.Load()), len(s.vals))
	v := slices.Clone(s.vals[:n])
	if n == 0 {
		return Dist{}
	}
	slices.Sort(v)
	return Dist{N: n, P50: v[n/2], P99: v[min(n*99/100, n-1)], Max: v[n-1]}
}
