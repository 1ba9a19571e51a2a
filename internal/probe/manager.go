package probe

import (
	"context"
	"log/slog"
	"math/rand/v2"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/utils/clock"

	v1 "vigil.dev/vigil/api/v1"
	"vigil.dev/vigil/internal/probe/prober"
)

// DefaultMaxConcurrent bounds the probes running at once: 10,000 VMIs
// probed every 10 s are 1,000 probes a second, and if every one of them
// ran into a 1 s timeout, 1,000 would be in flight. An idle bound costs
// nothing (probe goroutines exist only while a probe runs).
const DefaultMaxConcurrent = 1024

// Effects is what the engine's decisions do; the node agent implements it.
// Calls about one VMI are made one at a time and in order, never while the
// engine holds a lock, so an implementation may call back into the
// Manager. They should return quickly: a call delays that VMI's next
// effect and probe, and its duration counts in the reaction metric.
type Effects interface {
	// SetReady sets the VMI's Ready condition (and, through the VM
	// controller, the VM's). Called only when the published readiness
	// changes, and once when a VMI is re-added after a daemon restart.
	SetReady(uid types.UID, ready bool, reason, message string)
	// LivenessFailed asks for the VMI to be stopped: graceful, then hard,
	// ending Failed with reason LivenessProbeFailed.
	LivenessFailed(uid types.UID, message string)
	// Event records an event about the VMI.
	Event(uid types.UID, eventType, reason, message string)
}

// Reasons given to SetReady(false).
const (
	// ReasonReadinessProbeFailed: the readiness probe published Failure.
	ReasonReadinessProbeFailed = "ReadinessProbeFailed"
	// ReasonTerminating: the VMI is being stopped or deleted (the node
	// agent's word for it).
	ReasonTerminating = "Terminating"
)

// Options configure a Manager. Effects is required.
type Options struct {
	Effects Effects
	// Clock drives all scheduling; default the real clock.
	Clock clock.Clock
	// Build makes the probers; default NewBuilder(prober.HTTPOptions{}).
	Build BuildFunc
	// Metrics receives the engine's measurements; default NewMetrics().
	Metrics *Metrics
	// MaxConcurrent bounds the probes running at once; default
	// DefaultMaxConcurrent.
	MaxConcurrent int
	// Jitter returns a number in [0, 1): the fraction of its period a
	// worker waits once after a daemon restart. Default math/rand/v2.
	Jitter func() float64
	// Logger; default slog.Default().
	Logger *slog.Logger
	// Trace, if set, is called after every probe (benchmarks read
	// lateness and reaction from it). It must not block.
	Trace func(Trace)
}

// Trace describes one probe run.
type Trace struct {
	UID       types.UID
	Kind      Kind
	Type      Type
	Scheduled time.Time
	Started   time.Time
	Ended     time.Time
	Result    prober.Result
	// Published: this probe changed the published result.
	Published bool
	// Reaction is the time from Ended to the return of the effect call
	// (SetReady or LivenessFailed) for a probe that published; zero if
	// another goroutine happened to deliver the effect.
	Reaction time.Duration
}

// Manager runs the readiness and liveness probes of the VMIs on this node.
//
// Why one scheduler instead of kubelet's goroutine per worker: at 10,000
// VMIs a goroutine and a ticker per probe would cost memory and timer
// churn while sleeping, and their wake-ups would bunch. Here every worker
// is a small struct in one min-heap ordered by due time; one dispatcher
// goroutine sleeps on one timer until the earliest is due, then hands it
// to a goroutine for the probe, bounded by MaxConcurrent. A worker is back
// in the heap only after its probe ended, so its probes never overlap.
type Manager struct {
	clock   clock.Clock
	effects Effects
	build   BuildFunc
	metrics *Metrics
	jitter  func() float64
	log     *slog.Logger
	trace   func(Trace)
	slots   chan struct{}

	ctx          context.Context
	cancel       context.CancelFunc
	dispatchDone chan struct{}
	runs         sync.WaitGroup
	wake         chan struct{}

	mu     sync.Mutex
	vmis   map[types.UID]*vmiEntry
	byName map[string]types.UID
	queue  queue
	seq    uint64
	// Dispatcher state, for quiet(): asleep on a timer armed for armedFor,
	// with no poke since; inflight counts popped workers not yet back.
	sleeping bool
	poked    bool
	armedFor *worker
	inflight int
	stopped  bool
}

// NewManager starts a manager; Stop ends it.
func NewManager(opts Options) *Manager {
	if opts.Clock == nil {
		opts.Clock = clock.RealClock{}
	}
	if opts.Build == nil {
		opts.Build = NewBuilder(prober.HTTPOptions{})
	}
	if opts.Metrics == nil {
		opts.Metrics = NewMetrics()
	}
	if opts.MaxConcurrent <= 0 {
		opts.MaxConcurrent = DefaultMaxConcurrent
	}
	if opts.Jitter == nil {
		opts.Jitter = rand.Float64
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	ctx, cancel := context.WithCancel(context.Background())
	m := &Manager{clock: opts.Clock, effects: opts.Effects, build: opts.Build, metrics: opts.Metrics,
		jitter: opts.Jitter, log: opts.Logger, trace: opts.Trace, slots: make(chan struct{}, opts.MaxConcurrent),
		ctx: ctx, cancel: cancel, dispatchDone: make(chan struct{}), wake: make(chan struct{}, 1),
		vmis: map[types.UID]*vmiEntry{}, byName: map[string]types.UID{}}
	go m.dispatch()
	return m
}

// Metrics returns the manager's collectors' owner.
func (m *Manager) Metrics() *Metrics { return m.metrics }

// Collectors lists the manager's Prometheus collectors.
func (m *Manager) Collectors() []prometheus.Collector { return m.metrics.Collectors() }

// Stop cancels running probes, waits for them and the dispatcher to end,
// and makes the manager ignore further calls. No Effects call begins after
// Stop returns.
func (m *Manager) Stop() {
	m.mu.Lock()
	if m.stopped {
		m.mu.Unlock()
		return
	}
	m.stopped = true
	entries := make([]*vmiEntry, 0, len(m.vmis))
	for _, e := range m.vmis {
		entries = append(entries, e)
	}
	m.mu.Unlock()
	for _, e := range entries {
		e.mu.Lock()
		e.removed = true
		e.pending = nil
		e.mu.Unlock()
	}
	m.cancel()
	<-m.dispatchDone
	m.runs.Wait()
}

// AddVMI starts probing vmi, whose VM process started at started, at
// target. agent returns the VMI's guest-agent client at each guest-agent
// probe. restarted says the daemon has just restarted with this VMI
// already running: its workers then wait a random part of their period
// once, and readiness starts from the VMI's stored Ready condition (which
// is announced through SetReady) so that a restart cuts no traffic. A VMI
// without probes, or one already added, is left alone; a VMI of the same
// namespace and name but another UID replaces the old one (a new VMI
// starts with fresh counters).
func (m *Manager) AddVMI(vmi *v1.VirtualMachineInstance, target Target, started time.Time,
	agent func() (prober.Agent, error), restarted bool) {
	if vmi == nil || (vmi.Spec.ReadinessProbe == nil && vmi.Spec.LivenessProbe == nil) {
		return
	}
	key := vmi.Namespace + "/" + vmi.Name
	m.mu.Lock()
	_, known := m.vmis[vmi.UID]
	old, replaced := m.byName[key]
	m.mu.Unlock()
	if known {
		return
	}
	if replaced {
		m.RemoveVMI(old)
	}
	e := m.newEntry(vmi, target, started, agent, restarted)
	m.mu.Lock()
	if m.stopped || m.vmis[vmi.UID] != nil {
		m.mu.Unlock()
		e.cancel()
		return
	}
	m.vmis[vmi.UID], m.byName[key] = e, vmi.UID
	m.mu.Unlock()
	m.log.Info("probing VMI", "vmi", key, "uid", vmi.UID, "restarted", restarted)
	e.mu.Lock()
	for _, w := range e.workers() {
		m.reschedule(w)
	}
	if r := e.readiness; r != nil {
		ready := r.state.Snapshot().Published == prober.Success
		m.metrics.setReady(e.namespace, e.name, ready)
		if restarted {
			reason, message := storedReady(vmi)
			e.enqueue(effect{op: opSetReady, ready: ready, reason: reason, message: message})
		}
	}
	e.mu.Unlock()
	m.deliver(e)
}

// RemoveVMI stops probing a VMI and forgets it. Running probes are
// canceled and their outcomes dropped; no Effects call about the VMI
// begins after RemoveVMI returns.
func (m *Manager) RemoveVMI(uid types.UID) {
	m.mu.Lock()
	e := m.vmis[uid]
	m.mu.Unlock()
	if e == nil {
		return
	}
	e.mu.Lock()
	e.removed = true
	e.pending = nil
	m.mu.Lock()
	for _, w := range e.workers() {
		m.unqueue(w)
	}
	delete(m.vmis, uid)
	if m.byName[e.key()] == uid {
		delete(m.byName, e.key())
	}
	m.mu.Unlock()
	e.mu.Unlock()
	e.cancel()
	if e.readiness != nil {
		m.metrics.forgetVMI(e.namespace, e.name)
	}
	m.log.Info("stopped probing VMI", "vmi", e.key(), "uid", uid)
}

// lookup returns the VMI's entry, nil if unknown.
func (m *Manager) lookup(uid types.UID) *vmiEntry {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.vmis[uid]
}

// storedReady is the reason and message of the VMI's stored Ready
// condition.
func storedReady(vmi *v1.VirtualMachineInstance) (reason, message string) {
	for _, c := range vmi.Status.Conditions {
		if c.Type == v1.VirtualMachineInstanceReady {
			return c.Reason, c.Message
		}
	}
	return ReasonReadinessProbeFailed, "no readiness probe has succeeded yet"
}

// storedReadyResult is the readiness result the VMI's status already
// shows: Success if its Ready condition is True.
func storedReadyResult(vmi *v1.VirtualMachineInstance) prober.Result {
	for _, c := range vmi.Status.Conditions {
		if c.Type == v1.VirtualMachineInstanceReady && c.Status == corev1.ConditionTrue {
			return prober.Success
		}
	}
	return prober.Failure
}

// agentProbesPaused reports whether the VMI carries
// kubevirt.io/pause-guest-agent-probes: "true".
func agentProbesPaused(vmi *v1.VirtualMachineInstance) bool {
	return strings.EqualFold(vmi.Annotations[v1.PauseGuestAgentProbesAnnotation], "true")
}
