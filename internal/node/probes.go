package node

import (
	"errors"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"k8s.io/apimachinery/pkg/types"

	v1 "vigil.dev/vigil/api/v1"
	"vigil.dev/vigil/internal/probe"
	"vigil.dev/vigil/internal/probe/prober"
)

// probeManager is what the agent asks of the probe engine; *probe.Manager
// satisfies it (tests use a fake). Calls that publish (Stopping, AddVMI of
// a restarted VMI) call the agent's Effects before they return, so the
// agent never calls them holding a.mu or a vmiState's mu.
type probeManager interface {
	AddVMI(vmi *v1.VirtualMachineInstance, target probe.Target, started time.Time,
		agent func() (prober.Agent, error), restarted bool)
	UpdateVMI(vmi *v1.VirtualMachineInstance)
	Stopping(uid types.UID)
	Pause(uid types.UID)
	Unpause(uid types.UID)
	RemoveVMI(uid types.UID)
	Status(uid types.UID) []probe.ProbeStatus
	Stop()
}

var (
	_ probeManager  = (*probe.Manager)(nil)
	_ probe.Effects = (*Agent)(nil)
)

// newProbeManager starts the agent's probe engine: its effects are the
// agent's, its clock the agent's, and every probe's end passes through
// probeTraced (which queues the VMI when its probe status changed).
func (a *Agent) newProbeManager() probeManager {
	var httpOpts prober.HTTPOptions
	if a.cfg.Version != "" {
		httpOpts.UserAgent = prober.UserAgent(a.cfg.Version)
	}
	return probe.NewManager(probe.Options{
		Effects: a,
		Clock:   a.cfg.Clock,
		Build:   probe.NewBuilder(httpOpts),
		Metrics: a.metrics,
		Logger:  a.log,
		Trace:   a.probeTraced,
	})
}

// Collectors are the probe engine's Prometheus collectors (probe counts by
// kind, type and result, durations, lateness, reaction, VMI readiness), for
// the API server's /metrics. They exist from New on.
func (a *Agent) Collectors() []prometheus.Collector { return a.metrics.Collectors() }

// startProbing hands a running VMI to the probe engine: its probes count
// their initial delay from QEMU's start (read from /proc, so a reattached
// VMI counts from the same moment as when it was launched), they reach the
// VMI at its own address, and the guest-agent probes share the VMI's agent
// channel. restarted is true only for VMIs reattached at the daemon's start
// (their workers are spread over a period, and readiness starts from the
// stored Ready condition). A VMI paused already has its guestAgentPing
// suppressed from the first probe.
func (a *Agent) startProbing(st *vmiState, vmi *v1.VirtualMachineInstance, restarted bool) {
	if vmi.Spec.ReadinessProbe == nil && vmi.Spec.LivenessProbe == nil {
		return
	}
	now := a.cfg.Clock.Now()
	started, err := processStarted(st.pid(), now)
	if err != nil {
		st.log.Warn("node: qemu's start time is unknown; probe delays count from now", "err", err)
		started = now
	}
	var target probe.Target
	if st.net != nil {
		target.IP = st.net.IP.String()
	}
	a.probes.AddVMI(vmi, target, started, st.probeAgent, restarted)
	if st.observation().Paused {
		a.probes.Pause(st.uid)
	}
	st.log.Info("node: probing", "started", started, "restarted", restarted,
		"readiness", vmi.Spec.ReadinessProbe != nil, "liveness", vmi.Spec.LivenessProbe != nil)
}

// errNoAgentChannel is a guest-agent probe's failure when the VMI has no
// agent client (it is ending).
var errNoAgentChannel = errors.New("the VMI has no guest agent channel")

// probeAgent hands the guest-agent probes the VMI's one agent client, the
// one the node's own pings and guest-exec use: the channel serialises
// every user.
func (s *vmiState) probeAgent() (prober.Agent, error) {
	if s.agent == nil {
		return nil, errNoAgentChannel
	}
	return s.agent, nil
}

// pid is QEMU's pid, 0 when the agent holds no process.
func (s *vmiState) pid() int {
	if p := s.process(); p != nil {
		return p.PID()
	}
	return 0
}

// probeTraced sees the end of every probe (from the probe's goroutine; it
// must not block). A probe whose result differs from the last one of its
// kind, or that published, queues the VMI so its status.probes is written
// now; any other probe only makes sure a write of the run counts follows
// within probeStatusInterval.
func (a *Agent) probeTraced(t probe.Trace) {
	st := a.state(t.UID)
	if st == nil {
		return
	}
	if st.noteProbe(t.Kind, t.Result) || t.Published {
		a.queue.Add(t.UID)
		return
	}
	a.queue.AddAfter(t.UID, probeStatusInterval)
}

// noteProbe records the result of a probe of kind and reports whether it
// differs from the previous one of that kind.
func (s *vmiState) noteProbe(kind probe.Kind, r prober.Result) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.lastProbe == nil {
		s.lastProbe = map[probe.Kind]prober.Result{}
	}
	old, seen := s.lastProbe[kind]
	s.lastProbe[kind] = r
	return !seen || old != r
}

// engineReadiness is the readiness a SetReady call publishes. After a
// daemon restart the engine announces the stored Ready condition, which
// may carry the node's own words for a state that passes (Paused,
// GuestNotRunning) rather than a probe's: kept as they are, they would
// outlive the state once it passed. They become "pending" instead; the
// node's own words still show while the state lasts. Pure.
func engineReadiness(ready bool, reason, message string) Readiness {
	switch {
	case ready:
	case reason == ReasonPaused, reason == v1.GuestNotRunningReason:
		return Readiness{Reason: ReasonReadinessProbePending, Message: pendingMessage}
	}
	return Readiness{Ready: ready, Reason: reason, Message: message}
}
