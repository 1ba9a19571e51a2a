package node

import (
	"context"
	"fmt"
	"time"

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
	obj := a.eventObject(st)
	msg := "Watchdog fired, action: " + d.Action
	a.rec.Event(obj, corev1.EventTypeWarning, EventWatchdogFired, msg)
	if vm := ownerVM(obj); vm != nil {
		a.rec.Event(vm, corev1.EventTypeWarning, EventWatchdogFired, msg)
	}
	if d.Action == string(v1.WatchdogActionShutdown) {
		if vmi, ok := obj.(*v1.VirtualMachineInstance); ok && st.watchShutdownOnce() {
			go a.watchShutdown(st, st.process(), graceFor(vmi))
		}
	}
	a.queue.Add(st.uid)
}

// watchShutdown follows a watchdog "shutdown": QEMU pressed the ACPI power
// button, and a guest too hung to obey keeps running. vigil takes no action
// the user did not choose; after the grace period it says so in a Warning
// event, so the firing is not silently lost.
func (a *Agent) watchShutdown(st *vmiState, proc *qemu.Process, grace time.Duration) {
	defer st.shutdownWatchDone()
	if proc == nil {
		return
	}
	select {
	case <-proc.Exited():
		return
	case <-a.ctx.Done(): // the daemon is stopping
		return
	case <-a.cfg.Clock.After(grace):
	}
	st.log.Warn("node: guest ignored the watchdog's shutdown", "grace", grace)
	a.rec.Event(a.eventObject(st), corev1.EventTypeWarning, EventWatchdogShutdownIgnored,
		fmt.Sprintf("The watchdog fired with action shutdown, but the guest did not shut down within %s; "+
			"it keeps running (use action poweroff or reset to act on a hung guest)", grace))
}

// ownerVM is the VirtualMachine that controls a VMI (events about the VMI
// that matter to the VM are told there too), or nil.
func ownerVM(obj runtime.Object) *v1.VirtualMachine {
	vmi, ok := obj.(*v1.VirtualMachineInstance)
	if !ok {
		return nil
	}
	for _, ref := range vmi.OwnerReferences {
		if ref.Kind == "VirtualMachine" && ref.Controller != nil && *ref.Controller {
			vm := &v1.VirtualMachine{}
			vm.Namespace, vm.Name, vm.UID = vmi.Namespace, ref.Name, ref.UID
			return vm
		}
	}
	return nil
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
		a.probesPaused(st.uid, paused)
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
