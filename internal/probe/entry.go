package probe

import (
	"context"
	"sync"
	"sync/atomic"
	"time"

	"k8s.io/apimachinery/pkg/types"

	v1 "vigil.dev/vigil/api/v1"
	"vigil.dev/vigil/internal/probe/prober"
)

// vmiEntry is one probed VMI: its workers, its pause flags and the queue
// of effects waiting to be delivered.
type vmiEntry struct {
	uid             types.UID
	namespace, name string
	// ctx is canceled when the VMI is stopping or removed: running probes end.
	ctx    context.Context
	cancel context.CancelFunc

	readiness, liveness *worker

	// mu guards the workers' states and everything below. Lock order:
	// vmiEntry.mu before Manager.mu.
	mu sync.Mutex
	// paused: the user paused the VMI; agentPaused: the VMI carries
	// kubevirt.io/pause-guest-agent-probes "true". Either suppresses
	// guestAgentPing (reported Success without asking the agent).
	paused, agentPaused bool
	removed             bool
	pending             []effect
	delivering          bool
}

// worker is one probe of one VMI.
type worker struct {
	vmi     *vmiEntry
	kind    Kind
	typ     Type
	spec    v1.Probe // after defaults
	timing  Timing
	state   *State // guarded by vmi.mu
	prober  prober.Prober
	metrics workerMetrics

	// Queue position, guarded by Manager.mu.
	index int
	due   time.Time
	seq   uint64
}

func (e *vmiEntry) key() string { return e.namespace + "/" + e.name }

// workers lists the VMI's workers, readiness first.
func (e *vmiEntry) workers() []*worker {
	out := make([]*worker, 0, 2)
	for _, w := range []*worker{e.readiness, e.liveness} {
		if w != nil {
			out = append(out, w)
		}
	}
	return out
}

// suppressed reports whether a probe of w is answered Success without
// running: guestAgentPing while the VMI is paused. Call with e.mu held.
func (e *vmiEntry) suppressed(w *worker) bool {
	return w.typ == TypePing && (e.paused || e.agentPaused)
}

func (m *Manager) newEntry(vmi *v1.VirtualMachineInstance, target Target, started time.Time,
	agent func() (prober.Agent, error), restarted bool) *vmiEntry {
	ctx, cancel := context.WithCancel(m.ctx)
	e := &vmiEntry{uid: vmi.UID, namespace: vmi.Namespace, name: vmi.Name, ctx: ctx, cancel: cancel,
		agentPaused: agentProbesPaused(vmi)}
	now := m.clock.Now()
	mk := func(kind Kind, p *v1.Probe) *worker {
		if p == nil {
			return nil
		}
		cfg := Config{Kind: kind, Type: TypeOf(p), Timing: TimingOf(p), UID: vmi.UID, Started: started, Added: now}
		if restarted {
			cfg.Spread = time.Duration(m.jitter() * float64(cfg.Timing.Period))
			if kind == Readiness {
				cfg.Initial = storedReadyResult(vmi)
			}
		}
		return m.newWorker(e, cfg, p, Binding{Kind: kind, VMI: vmi, Target: target, Agent: agent})
	}
	e.readiness = mk(Readiness, vmi.Spec.ReadinessProbe)
	e.liveness = mk(Liveness, vmi.Spec.LivenessProbe)
	return e
}

func (m *Manager) newWorker(e *vmiEntry, cfg Config, p *v1.Probe, b Binding) *worker {
	spec := Defaulted(p)
	b.Probe = &spec
	w := &worker{vmi: e, kind: cfg.Kind, typ: cfg.Type, spec: spec, timing: cfg.Timing, state: NewState(cfg),
		metrics: m.metrics.forWorker(cfg.Kind, cfg.Type), index: -1}
	pr, err := m.build(b)
	if err != nil {
		m.log.Warn("probe cannot run", "vmi", e.key(), "uid", e.uid, "probe", cfg.Kind, "err", err)
		pr = unrunnable{reason: err.Error()}
	}
	w.prober = pr
	return w
}

// effectOp says which Effects method an effect calls.
type effectOp int

const (
	opSetReady effectOp = iota
	opLivenessFailed
	opEvent
)

// effect is one queued Effects call.
type effect struct {
	op                         effectOp
	ready                      bool
	eventType, reason, message string
	// since is the end of the probe that caused a published change (zero
	// for others); the call's return minus since is the reaction time,
	// written to reaction when it is set.
	since    time.Time
	reaction *atomic.Int64
}

// enqueue adds an effect; call with e.mu held, then m.deliver(e) without.
func (e *vmiEntry) enqueue(f effect) {
	if !e.removed {
		e.pending = append(e.pending, f)
	}
}

// deliver makes the VMI's queued Effects calls in order, outside every
// lock. If another goroutine is already delivering for this VMI, it will
// make them: calls about one VMI never run concurrently.
func (m *Manager) deliver(e *vmiEntry) {
	e.mu.Lock()
	if e.delivering {
		e.mu.Unlock()
		return
	}
	e.delivering = true
	for len(e.pending) > 0 && !e.removed {
		f := e.pending[0]
		e.pending = e.pending[1:]
		e.mu.Unlock()
		m.apply(e, f)
		e.mu.Lock()
	}
	e.pending = nil
	e.delivering = false
	e.mu.Unlock()
}

func (m *Manager) apply(e *vmiEntry, f effect) {
	var label string
	switch f.op {
	case opSetReady:
		m.effects.SetReady(e.uid, f.ready, f.reason, f.message)
		label = "set_ready"
	case opLivenessFailed:
		m.effects.LivenessFailed(e.uid, f.message)
		label = "liveness_failed"
	case opEvent:
		m.effects.Event(e.uid, f.eventType, f.reason, f.message)
	}
	if f.since.IsZero() || label == "" {
		return
	}
	d := m.clock.Since(f.since)
	m.metrics.reaction.WithLabelValues(label).Observe(d.Seconds())
	if f.reaction != nil {
		f.reaction.Store(int64(d))
	}
}
