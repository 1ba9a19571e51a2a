package node

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"

	"k8s.io/apimachinery/pkg/types"

	v1 "vigil.dev/vigil/api/v1"
	"vigil.dev/vigil/internal/qemu"
)

// finish settles how a VMI whose QEMU is gone ended, cleans up after it
// and writes the final status (or, when it is being deleted, releases it).
func (a *Agent) finish(ctx context.Context, vmi *v1.VirtualMachineInstance, st *vmiState) error {
	a.probes.RemoveVMI(st.uid) // before the agent channel closes
	outcome := st.proc.Outcome()
	st.endMonitors()
	st.agent.Close()
	st.mu.Lock()
	intent := st.intent
	if vmi.DeletionTimestamp != nil {
		intent.Deleting = true
	}
	f := finalFromOutcome(outcome, intent)
	st.final, st.proc = &f, nil
	st.mu.Unlock()
	st.log.Info("node: qemu ended", "phase", f.Phase, "reason", f.Reason, "message", f.Message)
	if vmi.DeletionTimestamp != nil {
		return a.release(ctx, vmi, st)
	}
	if err := a.cleanupHost(vmi.UID, true); err != nil {
		st.log.Warn("node: cleanup after qemu ended", "err", err)
	}
	return a.writeFinal(ctx, vmi, st)
}

// writeFinal writes the settled final status and records its event; then
// the agent forgets the VMI (what is left is its logs in the run directory).
func (a *Agent) writeFinal(ctx context.Context, vmi *v1.VirtualMachineInstance, st *vmiState) error {
	f := *st.final
	now := a.cfg.Clock.Now()
	latest, err := a.updateStatus(ctx, vmi, func(v *v1.VirtualMachineInstance) bool { return applyFinal(v, f, now) })
	switch {
	case errors.Is(err, errVanished):
		a.dropState(vmi.UID)
		a.queue.Add(vmi.UID)
		return nil
	case err != nil:
		return err
	}
	if f.EventReason != "" {
		a.rec.Event(latest, f.EventType, f.EventReason, f.EventMessage)
	}
	a.dropState(vmi.UID)
	a.log.Info("node: vmi ended", "vmi", key(vmi), "uid", vmi.UID, "phase", f.Phase, "reason", f.Reason)
	return nil
}

// release removes everything of a VMI that is being deleted and then its
// finalizer, so the API server deletes the object.
func (a *Agent) release(ctx context.Context, vmi *v1.VirtualMachineInstance, st *vmiState) error {
	if err := a.removeAll(vmi.UID); err != nil {
		return err
	}
	if _, err := a.updateObject(ctx, vmi, removeFinalizer); err != nil && !errors.Is(err, errVanished) {
		return err
	}
	if st != nil && st.final != nil && st.final.EventReason != "" {
		a.rec.Event(vmi, st.final.EventType, st.final.EventReason, st.final.EventMessage)
	}
	a.dropState(vmi.UID)
	a.log.Info("node: vmi released", "vmi", key(vmi), "uid", vmi.UID)
	return nil
}

// forget removes what is left on the host of a VMI that is gone from the API.
func (a *Agent) forget(uid types.UID, st *vmiState) error {
	if st == nil && !a.leftovers(uid) && !fileExists(a.cfg.runDir(string(uid))) {
		return nil
	}
	if err := a.removeAll(uid); err != nil {
		return err
	}
	a.dropState(uid)
	a.log.Info("node: forgot a vmi that is gone from the api", "uid", uid)
	return nil
}

// markLost ends a VMI that should run here but whose QEMU is gone. The
// run directory is checked once more: a QEMU that lives after all is
// reattached instead.
func (a *Agent) markLost(ctx context.Context, vmi *v1.VirtualMachineInstance) error {
	if err := a.cleanupHost(vmi.UID, true); errors.Is(err, qemu.ErrStillRunning) {
		st := a.newState(vmi, nil)
		st.orphan = true
		a.putState(st)
		return fmt.Errorf("qemu of vmi %s still runs; reattaching: %w", key(vmi), err)
	} else if err != nil {
		a.log.Warn("node: cleanup of a lost vmi", "vmi", key(vmi), "uid", vmi.UID, "err", err)
	}
	f := lostFinal(vmi.Status.Phase)
	a.log.Warn("node: vmi lost its qemu", "vmi", key(vmi), "uid", vmi.UID, "message", f.Message)
	st := a.newState(vmi, nil)
	st.final = &f
	a.putState(st)
	return a.writeFinal(ctx, vmi, st)
}

// cleanupHost removes the VMI's tap, lease and address, QEMU's sockets and
// pidfile, and the files made for it; with keepLogs the run directory
// stays with console.log and qemu.log. It refuses (qemu.ErrStillRunning)
// while the VMI's QEMU lives.
func (a *Agent) cleanupHost(uid types.UID, keepLogs bool) error {
	dir := a.cfg.runDir(string(uid))
	if err := qemu.Cleanup(dir, true); errors.Is(err, qemu.ErrStillRunning) {
		return err
	} else if err != nil {
		a.log.Warn("node: removing qemu's files", "uid", uid, "err", err)
	}
	var errs []error
	if err := a.host.Detach(string(uid)); err != nil {
		errs = append(errs, err)
	}
	a.alloc.Release(string(uid))
	if keepLogs {
		errs = append(errs, removeAllBut(dir, qemu.ConsoleLog, qemu.QEMULog))
	} else if err := os.RemoveAll(dir); err != nil {
		errs = append(errs, err)
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("cleaning up vmi uid %s: %w", uid, err)
	}
	return nil
}

// removeAll is cleanupHost without keeping anything.
func (a *Agent) removeAll(uid types.UID) error { return a.cleanupHost(uid, false) }

// removeAllBut removes every entry of dir except the named ones.
func removeAllBut(dir string, keep ...string) error {
	entries, err := os.ReadDir(dir)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	var errs []error
	for _, e := range entries {
		name := e.Name()
		if slices.Contains(keep, name) {
			continue
		}
		if err := os.RemoveAll(filepath.Join(dir, name)); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}
