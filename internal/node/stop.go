package node

import (
	"context"
	"errors"
	"time"

	v1 "vigil.dev/vigil/api/v1"
	"vigil.dev/vigil/internal/qemu"
)

// graceFor is how long a stopping guest may take to power off: the
// deletion's grace period when the DELETE gave one (0 stops at once), else
// spec.terminationGracePeriodSeconds (default 30 s; 0 stops at once).
func graceFor(vmi *v1.VirtualMachineInstance) time.Duration {
	if vmi.DeletionTimestamp != nil {
		if g := vmi.DeletionGracePeriodSeconds; g != nil && *g >= 0 {
			return time.Duration(*g) * time.Second
		}
	}
	secs := v1.DefaultTerminationGracePeriodSeconds
	if g := vmi.Spec.TerminationGracePeriodSeconds; g != nil {
		secs = max(*g, 0)
	}
	return time.Duration(secs) * time.Second
}

// terminate handles a deletion or a stop request of a running VMI: Ready
// goes False first (written before anything is stopped), then the stop runs
// in the background; its end arrives as the process's exit.
func (a *Agent) terminate(ctx context.Context, vmi *v1.VirtualMachineInstance, st *vmiState) error {
	if err := a.beginStop(ctx, vmi, st); err != nil {
		return err
	}
	grace := graceFor(vmi)
	st.mu.Lock()
	started := st.stopStarted
	st.stopStarted = true
	if !started {
		st.intent.Grace = grace
	}
	st.mu.Unlock()
	if started {
		return nil
	}
	st.log.Info("node: stopping the vmi", "grace", grace, "deleting", vmi.DeletionTimestamp != nil)
	a.stops.Add(1)
	proc := st.proc // the worker's own read; runStop must not race finish
	go func() {
		defer a.stops.Done()
		a.runStop(st, proc, grace)
	}()
	return nil
}

// beginStop marks the VMI as going away before anything is stopped: the
// probe engine takes readiness down at once (its SetReady writes Ready
// False before Stopping returns) and liveness stops probing, so it never
// kills a VMI that is already going away; then the rest of the observation
// is written. A deletion goes on even if the status cannot be written: the
// object is on its way out.
func (a *Agent) beginStop(ctx context.Context, vmi *v1.VirtualMachineInstance, st *vmiState) error {
	st.mu.Lock()
	st.obs.Terminating = true
	if vmi.DeletionTimestamp != nil {
		st.intent.Deleting = true
	}
	st.mu.Unlock()
	a.probes.Stopping(st.uid)
	err := a.syncStatus(ctx, vmi, st)
	if err != nil && vmi.DeletionTimestamp != nil {
		st.log.Warn("node: could not mark the vmi not ready before stopping it", "err", err)
		return nil
	}
	return err
}

// runStop stops the QEMU: ACPI power button, grace, SIGKILL. Its exit is
// seen by the monitor, which queues the VMI. A daemon shutdown cuts the
// wait short and leaves QEMU running; the next daemon resumes a deletion.
func (a *Agent) runStop(st *vmiState, proc *qemu.Process, grace time.Duration) {
	if err := proc.Shutdown(a.ctx, grace); err != nil {
		if a.ctx.Err() == nil {
			st.log.Error("node: stopping qemu failed", "err", err)
		}
		return
	}
	st.log.Info("node: qemu stopped")
}

// killVanished kills a QEMU whose VMI is gone from the API, once the API
// confirms it is gone (the cache alone is not proof).
func (a *Agent) killVanished(ctx context.Context, st *vmiState) error {
	probe := &v1.VirtualMachineInstance{}
	probe.Namespace, probe.Name, probe.UID = st.namespace, st.name, st.uid
	if _, err := a.getLatest(ctx, probe); !errors.Is(err, errVanished) {
		if err == nil {
			a.queue.AddAfter(st.uid, retryDelay) // still there: the cache was behind
		}
		return err
	}
	st.log.Warn("node: the vmi is gone from the api while its qemu runs; killing it")
	return st.proc.Kill()
}
