package node

import (
	"context"
	"errors"
	"fmt"
	"os"
	"time"

	"k8s.io/apimachinery/pkg/types"

	v1 "vigil.dev/vigil/api/v1"
	"vigil.dev/vigil/internal/qemu"
)

// work hands queued VMIs to reconcile until the queue shuts down.
func (a *Agent) work() {
	a.queue.Work(a.ctx, func(ctx context.Context, uid types.UID) {
		a.afterReconcile(uid, a.reconcile(ctx, uid))
	})
}

// afterReconcile schedules a retry with a doubling delay after a failure.
func (a *Agent) afterReconcile(uid types.UID, err error) {
	if err == nil {
		a.retries.Forget(uid)
		return
	}
	delay := a.retries.Failed(uid)
	if a.ctx.Err() != nil {
		return
	}
	a.log.Warn("node: vmi step failed, retrying", "uid", uid, "err", err, "after", delay)
	a.queue.AddAfter(uid, delay)
}

// reconcile decides and carries out the next step for one VMI.
func (a *Agent) reconcile(ctx context.Context, uid types.UID) error {
	f := facts{VMI: a.cache.get(uid), Node: a.cfg.NodeName}
	st := a.state(uid)
	if st != nil {
		st.facts(&f)
	}
	f.Launched = fileExists(qemu.RunDir(a.cfg.runDir(string(uid))).Identity())
	f.Leftovers = a.leftovers(uid)
	s := decide(f)
	if s == stepNone {
		return nil
	}
	log := a.log.With("uid", uid)
	if f.VMI != nil {
		log = log.With("vmi", key(f.VMI))
	}
	log.Debug("node: step", "step", s.String())
	ctx, cancel := context.WithTimeout(ctx, stepTimeout(s))
	defer cancel()
	err := a.execute(ctx, uid, s, f, st)
	switch {
	case errors.Is(err, errVanished):
		log.Debug("node: the vmi is gone; its delete event follows", "step", s.String())
	case err != nil:
		return fmt.Errorf("%s: %w", s, err)
	}
	return nil
}

// stepTimeout bounds one step: a launch waits for QEMU (its own start
// timeout plus image overlays), everything else makes a few API calls.
func stepTimeout(s step) time.Duration {
	if s == stepStart {
		return qemu.DefaultStartTimeout + 2*apiTimeout
	}
	return 2 * apiTimeout
}

func (a *Agent) execute(ctx context.Context, uid types.UID, s step, f facts, st *vmiState) error {
	vmi := f.VMI
	switch s {
	case stepForget:
		return a.forget(uid, st)
	case stepKill:
		return a.killVanished(ctx, st)
	case stepUnschedulable:
		miss := unmatchedSelector(vmi.Spec.NodeSelector, nodeLabels(a.cfg.NodeName))
		_, err := a.updateStatus(ctx, vmi, func(v *v1.VirtualMachineInstance) bool {
			return applyUnschedulable(v, unschedulableMessage(a.cfg.NodeName, miss))
		})
		return err
	case stepSchedule:
		return a.schedule(ctx, vmi)
	case stepStart:
		return a.start(ctx, vmi)
	case stepReattach:
		return a.retryReattach(ctx, vmi, st)
	case stepMarkLost:
		return a.markLost(ctx, vmi)
	case stepSync:
		a.probes.UpdateVMI(vmi) // kubevirt.io/pause-guest-agent-probes may have changed
		return a.syncStatus(ctx, vmi, st)
	case stepTerminate:
		return a.terminate(ctx, vmi, st)
	case stepFinish:
		return a.finish(ctx, vmi, st)
	case stepWriteFinal:
		return a.writeFinal(ctx, vmi, st)
	case stepRelease:
		return a.release(ctx, vmi, st)
	case stepCleanup:
		return a.cleanupHost(vmi.UID, true)
	}
	return fmt.Errorf("unknown step %d", s)
}

// leftovers reports whether host resources of the VMI remain that a final
// VMI must not keep: its address, or QEMU's sockets in its run directory.
func (a *Agent) leftovers(uid types.UID) bool {
	if _, ok := a.alloc.Lookup(string(uid)); ok {
		return true
	}
	d := qemu.RunDir(a.cfg.runDir(string(uid)))
	return fileExists(d.QMP()) || fileExists(d.Identity())
}

func fileExists(path string) bool {
	_, err := os.Lstat(path)
	return err == nil
}

// errVanished means the VMI is no longer in the API (or has another UID).
var errVanished = errors.New("vmi is gone from the api")
