package node

import (
	"context"
	"fmt"

	corev1 "k8s.io/api/core/v1"

	v1 "vigil.dev/vigil/api/v1"
	"vigil.dev/vigil/internal/qemu"
	"vigil.dev/vigil/internal/qga"
	"vigil.dev/vigil/internal/qmp"
)

// schedule takes a Pending VMI onto this node: the finalizer first (so a
// deletion waits for the node from then on), then nodeName, its address
// and phase Scheduled in one status write.
func (a *Agent) schedule(ctx context.Context, vmi *v1.VirtualMachineInstance) error {
	latest, err := a.updateObject(ctx, vmi, func(v *v1.VirtualMachineInstance) bool {
		if v.DeletionTimestamp != nil || v.Status.NodeName != "" {
			return false
		}
		return addFinalizer(v)
	})
	if err != nil {
		return err
	}
	if latest.DeletionTimestamp != nil || latest.Status.NodeName != "" {
		return nil // the watch brings the news
	}
	ni, err := a.netFor(latest)
	if err != nil {
		// Not fatal here: the start reports it on the VMI.
		a.log.Warn("node: no address for the vmi yet", "vmi", key(vmi), "uid", vmi.UID, "err", err)
	}
	now := a.cfg.Clock.Now()
	if _, err := a.updateStatus(ctx, latest, func(v *v1.VirtualMachineInstance) bool {
		return applyScheduled(v, a.cfg.NodeName, ni, now)
	}); err != nil {
		return err
	}
	args := []any{"vmi", key(vmi), "uid", vmi.UID, "node", a.cfg.NodeName}
	if ni != nil {
		args = append(args, "ip", ni.IP.String(), "mac", ni.MAC)
	}
	a.log.Info("node: vmi scheduled", args...)
	return nil
}

// startable reports whether the VMI, as just read, still waits for its
// start on node.
func startable(vmi *v1.VirtualMachineInstance, node string) bool {
	switch vmi.Status.Phase {
	case v1.VmPhaseUnset, v1.Pending, v1.Scheduling, v1.Scheduled:
	default:
		return false
	}
	return vmi.DeletionTimestamp == nil && vmi.Status.NodeName == node
}

// start prepares and launches the VMI's QEMU. Anything that fails before
// QEMU runs ends the VMI Failed with a reason, after everything made for it
// is removed again.
func (a *Agent) start(ctx context.Context, vmi *v1.VirtualMachineInstance) error {
	latest, err := a.getLatest(ctx, vmi)
	if err != nil {
		return err
	}
	if !startable(latest, a.cfg.NodeName) {
		return nil // the cache was behind
	}
	log := a.log.With("vmi", key(latest), "uid", latest.UID)
	prep, serr := a.prepare(ctx, latest)
	if serr != nil {
		return a.failStart(ctx, latest, serr)
	}
	spec, err := qemu.SpecFromVMI(latest, prep.resolved)
	if err != nil {
		return a.failStart(ctx, latest, failWith(ReasonInvalidSpec, err))
	}
	proc, err := qemu.Launch(ctx, spec, qemu.LaunchOptions{QEMUBinary: a.cfg.QEMUBinary, Logger: a.log})
	if err != nil {
		return a.failStart(ctx, latest, failWith(ReasonLaunchFailed, err))
	}
	st := a.newState(latest, prep.net)
	a.attach(st, proc, latest)
	log.Info("node: vmi started", "pid", proc.PID(), "accel", a.accel)
	a.rec.Event(latest, corev1.EventTypeNormal, EventStarted, messageStarted)
	err = a.syncStatus(ctx, latest, st)
	// Probing starts even if Running could not be written yet: QEMU runs,
	// and the worker writes Running on its retry.
	a.startProbing(st, latest.DeepCopy(), false)
	return err
}

// failStart removes what a failed start made and ends the VMI Failed.
// A start cut short by the daemon's shutdown is not the VMI's failure: it
// is only undone, and the next daemon starts the VMI again.
func (a *Agent) failStart(ctx context.Context, vmi *v1.VirtualMachineInstance, serr *startError) error {
	if err := a.removeAll(vmi.UID); err != nil {
		a.log.Warn("node: removing what a failed start made", "vmi", key(vmi), "uid", vmi.UID, "err", err)
	}
	if a.ctx.Err() != nil {
		return fmt.Errorf("start of vmi %s cut short by the daemon's shutdown: %w", key(vmi), serr)
	}
	a.log.Warn("node: vmi failed to start", "vmi", key(vmi), "uid", vmi.UID, "reason", serr.reason, "err", serr.err)
	f := startFailure(serr.reason, serr.err.Error())
	st := a.newState(vmi, nil)
	st.final = &f
	a.putState(st)
	return a.writeFinal(ctx, vmi, st)
}

// newState makes the agent's record of a VMI (not yet stored).
func (a *Agent) newState(vmi *v1.VirtualMachineInstance, ni *netInfo) *vmiState {
	st := &vmiState{
		uid: vmi.UID, namespace: vmi.Namespace, name: vmi.Name,
		runDir: a.cfg.runDir(string(vmi.UID)), net: ni,
		log: a.log.With("vmi", key(vmi), "uid", vmi.UID),
	}
	if w := vmi.Status.Watchdog; w != nil {
		st.watchdogBase = w.Firings
	}
	return st
}

// attach makes st hold proc, stores st and starts watching: QMP events and
// the exit in one goroutine, the guest agent in another.
func (a *Agent) attach(st *vmiState, proc *qemu.Process, vmi *v1.VirtualMachineInstance) {
	st.proc = proc
	st.log = st.log.With("pid", proc.PID())
	st.agent = qga.New(qemu.RunDir(st.runDir).GuestAgent(), qga.Options{Logger: st.log})
	st.obs.Paused = a.queryPaused(proc, vmi)
	ctx, cancel := context.WithCancel(a.ctx)
	st.stopMonitors = cancel
	signals := make(chan agentSignal, 4)
	st.monitorsDone.Add(2)
	go a.monitor(ctx, st, signals)
	go a.watchAgent(ctx, st, signals)
	a.putState(st)
}

// queryPaused asks QEMU whether the vCPUs are paused; on no answer it
// assumes what the start strategy says.
func (a *Agent) queryPaused(proc *qemu.Process, vmi *v1.VirtualMachineInstance) bool {
	ctx, cancel := context.WithTimeout(a.ctx, qmpQueryTimeout)
	defer cancel()
	status, err := proc.QMP().QueryStatus(ctx)
	if err != nil {
		ss := vmi.Spec.StartStrategy
		return ss != nil && *ss == v1.StartStrategyPaused
	}
	return status.Status == qmp.StatePaused || status.Status == qmp.StatePrelaunch
}
