package node

import (
	"context"
	"errors"
	"time"

	v1 "vigil.dev/vigil/api/v1"
)

// syncStatus writes what is observed of a running VMI (phase Running,
// conditions, interfaces, guest OS, watchdog, the probes' view) if it
// changed. The observation is read inside every attempt: a retry after a
// conflict writes the latest observation, never the one it started with,
// so two writers (the VMI's worker and publish) cannot undo each other.
func (a *Agent) syncStatus(ctx context.Context, vmi *v1.VirtualMachineInstance, st *vmiState) error {
	var pu probesUpdate
	var at time.Time
	_, err := a.updateStatus(ctx, vmi, func(v *v1.VirtualMachineInstance) bool {
		at = a.cfg.Clock.Now()
		var changed bool
		changed, pu = a.applyObserved(v, st, at)
		return changed
	})
	switch {
	case errors.Is(err, errVanished):
		a.queue.Add(vmi.UID) // decide again: it is gone
		return nil
	case err != nil:
		return err
	}
	if pu.wrote {
		st.setProbesWritten(at)
	}
	if pu.pending {
		a.queue.AddAfter(vmi.UID, probeStatusInterval-at.Sub(st.probesWrittenAt()))
	}
	return nil
}

// applyObserved is the mutation of syncStatus: the running status from the
// observation, then the probes' view (run counts only when
// probeStatusInterval has passed since they were last written).
func (a *Agent) applyObserved(v *v1.VirtualMachineInstance, st *vmiState, now time.Time) (bool, probesUpdate) {
	in := runningInputs{Obs: st.observation(), Net: st.net, WatchdogBase: st.watchdogBase, Now: now}
	changed := applyRunning(v, in)
	if v.Status.Phase.IsFinal() {
		return changed, probesUpdate{}
	}
	due := now.Sub(st.probesWrittenAt()) >= probeStatusInterval
	pu := applyProbes(&v.Status, probeStatuses(a.probes.Status(st.uid)), due)
	return changed || pu.wrote, pu
}

// publish writes what is observed of a running VMI at once, from the
// caller's goroutine: a readiness result, a pause, the start of a stop. It
// is one status write in the common case (the cached version is tried
// first), so the time from a probe's end to the stored Ready condition is
// about one round trip over the daemon's socket. If the write fails the
// VMI's worker takes over.
func (a *Agent) publish(st *vmiState) {
	vmi := a.cache.get(st.uid)
	if vmi == nil {
		return // gone: its worker finishes it
	}
	ctx, cancel := context.WithTimeout(a.ctx, apiTimeout)
	defer cancel()
	if err := a.syncStatus(ctx, vmi, st); err != nil {
		st.log.Warn("node: writing the status at once failed; the worker retries", "err", err)
		a.queue.Add(st.uid)
	}
}
