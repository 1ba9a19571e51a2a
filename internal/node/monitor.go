package node

import (
	"context"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/runtime"

	v1 "vigil.dev/vigil/api/v1"
	"vigil.dev/vigil/internal/qemu"
	"vigil.dev/vigil/internal/qmp"
)

// agentSignal tells the guest agent loop that the guest opened (true) or
// closed (false) the agent's port.
type agentSignal bool

// monitor follows one running VMI's QMP events and waits for its QEMU to
// end (proven by qemu.Process.Exited); it records what it sees and queues
// the VMI, and never writes the status itself.
func (a *Agent) monitor(ctx context.Context, st *vmiState, signals chan<- agentSignal) {
	defer st.monitorsDone.Done()
	events, exited := st.proc.Events(), st.proc.Exited()
	for {
		select {
		case <-ctx.Done():
			return
		case <-exited:
			a.queue.Add(st.uid)
			return
		case ev, ok := <-events:
			if !ok {
				// QEMU's exit closes the stream first; if QEMU lives on,
				// only the events are lost, not the watch on the process.
				st.log.Debug("node: qmp event stream ended")
				events = nil
				continue
			}
			a.handleEvent(ctx, st, ev, signals)
		}
	}
}

func (a *Agent) handleEvent(ctx context.Context, st *vmiState, ev qmp.Event, signals chan<- agentSignal) {
	switch ev.Name {
	case qmp.EventWatchdog:
		a.watchdogFired(st, ev)
	case qmp.EventStop, qmp.EventResume:
		a.checkPaused(ctx, st)
	case qmp.EventReset:
		d, _ := ev.Reset()
		st.log.Info("node: guest reset", "guest", d.Guest, "reason", d.Reason)
	case qmp.EventShutdown:
		d, _ := ev.Shutdown()
		st.log.Info("node: guest shutdown", "guest", d.Guest, "reason", d.Reason)
	case qmp.EventVserportChange:
		d, err := ev.VserportChange()
		if err != nil || d.ID != qemu.GuestAgentPortID {
			return
		}
		select {
		case signals <- agentSignal(d.Open):
		default: // the loop has a signal pending; it pings soon anyway
		}
	}
}

// watchdogFired counts a WATCHDOG event and tells of it with a Warning event.
func (a *Agent) watchdogFired(st *vmiState, ev qmp.Event) {
	d, _ := ev.Watchdog()
	at := ev.Timestamp
	if at.IsZero() {
		at = a.cfg.Clock.Now()
	}
	st.update(func(o *observation) bool {
		o.WatchdogFirings++
		o.WatchdogAction, o.WatchdogLastFired = d.Action, at
		return true
	})
	st.log.Warn("node: watchdog fired", "action", d.Action)
	a.rec.Event(a.eventObject(st), corev1.EventTypeWarning, EventWatchdogFired, "Watchdog fired, action: "+d.Action)
	a.queue.Add(st.uid)
}

// checkPaused asks QEMU whether the vCPUs are paused after a STOP or
// RESUME event (events are hints; QEMU also stops the vCPUs on its way to
// a shutdown). Without an answer nothing changes.
func (a *Agent) checkPaused(ctx context.Context, st *vmiState) {
	ctx, cancel := context.WithTimeout(ctx, qmpQueryTimeout)
	defer cancel()
	status, err := st.proc.QMP().QueryStatus(ctx)
	if err != nil {
		return
	}
	paused := status.Status == qmp.StatePaused
	if st.update(func(o *observation) bool {
		changed := o.Paused != paused
		o.Paused = paused
		return changed
	}) {
		st.log.Info("node: vcpus paused or resumed", "paused", paused)
		a.queue.Add(st.uid)
	}
}

// eventObject is the VMI an event is about: the cached object, or enough
// of it to name it.
func (a *Agent) eventObject(st *vmiState) runtime.Object {
	if vmi := a.cache.get(st.uid); vmi != nil {
		return vmi
	}
	vmi := &v1.VirtualMachineInstance{}
	vmi.Namespace, vmi.Name, vmi.UID = st.namespace, st.name, st.uid
	return vmi
}
