package probe

import (
	"k8s.io/apimachinery/pkg/types"

	v1 "vigil.dev/vigil/api/v1"
)

// stoppingMessage explains a readiness Failure published because the VMI
// is going away.
const stoppingMessage = "the VMI is stopping"

// Stopping tells the engine that the VMI is being stopped or deleted:
// readiness goes False at once (SetReady is called before Stopping returns,
// unless Stopping was called from inside an Effects call, when it follows
// that call), liveness stops probing so it never kills a VMI that is
// already going away, and running probes are canceled. The VMI stays known
// (Status still answers) until RemoveVMI.
func (m *Manager) Stopping(uid types.UID) {
	e := m.lookup(uid)
	if e == nil {
		return
	}
	now := m.clock.Now()
	e.mu.Lock()
	if e.removed {
		e.mu.Unlock()
		return
	}
	m.stopReadiness(e, now, ReasonTerminating, stoppingMessage)
	if l := e.liveness; l != nil {
		l.state.Stop(now, stoppingMessage)
		m.mu.Lock()
		m.unqueue(l)
		m.mu.Unlock()
	}
	e.mu.Unlock()
	e.cancel()
	m.deliver(e)
}

// Pause tells the engine that the user paused the VMI: its guestAgentPing
// probes report Success without asking the agent until Unpause. Other
// probes run as usual (a paused guest answers nothing, so a readiness
// probe fails; validation refuses to pause with another liveness probe).
func (m *Manager) Pause(uid types.UID) { m.setPaused(uid, true) }

// Unpause ends what Pause began.
func (m *Manager) Unpause(uid types.UID) { m.setPaused(uid, false) }

func (m *Manager) setPaused(uid types.UID, paused bool) {
	if e := m.lookup(uid); e != nil {
		e.mu.Lock()
		e.paused = paused
		e.mu.Unlock()
	}
}

// UpdateVMI takes what may change on a running VMI: the annotation
// kubevirt.io/pause-guest-agent-probes (while "true", guestAgentPing
// reports Success). Probes themselves cannot change on a running VMI.
func (m *Manager) UpdateVMI(vmi *v1.VirtualMachineInstance) {
	if vmi == nil {
		return
	}
	if e := m.lookup(vmi.UID); e != nil {
		e.mu.Lock()
		e.agentPaused = agentProbesPaused(vmi)
		e.mu.Unlock()
	}
}
