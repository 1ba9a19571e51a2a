package node

import (
	"context"
	"fmt"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/types"

	"vigil.dev/vigil/internal/apiserver"
	"vigil.dev/vigil/internal/resource"
)

// The agent serves the API server's pause and unpause subresources.
var _ apiserver.NodePauser = (*Agent)(nil)

// KubeVirt's refusals of a pause or unpause the VMI's state does not allow.
const (
	msgAlreadyPaused = "VMI is already paused"
	msgNotPaused     = "VMI is not paused"
)

// Pause stops the vCPUs of a running VMI (QMP stop). Its guestAgentPing
// probes are answered for the guest from just before the guest stops until
// it runs again, so a paused VMI is never killed for not answering; its
// other probes go on (and a readiness probe fails: nothing answers). The
// VMI's Paused condition turns True and Ready False (reason Paused) before
// Pause returns. The API server checks KubeVirt's rules first (a
// liveness probe other than guestAgentPing refuses a pause); the agent
// checks what only it knows, QEMU's state.
func (a *Agent) Pause(ctx context.Context, namespace, name string) error {
	st, err := a.running(namespace, name)
	if err != nil {
		return err
	}
	proc := st.running()
	if proc == nil || st.observation().Paused {
		return pauseConflict(name, msgAlreadyPaused)
	}
	a.probes.Pause(st.uid)
	if err := proc.Pause(ctx); err != nil {
		a.probes.Unpause(st.uid)
		return fmt.Errorf("pausing VMI %s/%s: %w", namespace, name, err)
	}
	a.setPaused(st, true)
	return nil
}

// Unpause lets the vCPUs of a paused VMI run again (QMP cont); its
// guestAgentPing probes ask the guest again once it runs.
func (a *Agent) Unpause(ctx context.Context, namespace, name string) error {
	st, err := a.running(namespace, name)
	if err != nil {
		return err
	}
	proc := st.running()
	if proc == nil || !st.observation().Paused {
		return pauseConflict(name, msgNotPaused)
	}
	if err := proc.Resume(ctx); err != nil {
		return fmt.Errorf("unpausing VMI %s/%s: %w", namespace, name, err)
	}
	a.setPaused(st, false)
	return nil
}

func pauseConflict(name, msg string) error {
	return apierrors.NewConflict(resource.VirtualMachineInstances.GroupResource(), name, fmt.Errorf("%s", msg))
}

// setPaused records the vCPUs' state, tells the probe engine and writes
// the status at once (QMP's STOP or RESUME event would only confirm it).
func (a *Agent) setPaused(st *vmiState, paused bool) {
	changed := st.update(func(o *observation) bool {
		changed := o.Paused != paused
		o.Paused = paused
		return changed
	})
	a.probesPaused(st.uid, paused)
	if changed {
		st.log.Info("node: vcpus paused or resumed by request", "paused", paused)
		a.publish(st)
	}
}

// probesPaused tells the probe engine whether the VMI's vCPUs are paused
// (guestAgentPing is suppressed meanwhile).
func (a *Agent) probesPaused(uid types.UID, paused bool) {
	if paused {
		a.probes.Pause(uid)
	} else {
		a.probes.Unpause(uid)
	}
}
