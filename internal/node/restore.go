package node

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"sync"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/types"

	v1 "vigil.dev/vigil/api/v1"
	"vigil.dev/vigil/internal/client"
	"vigil.dev/vigil/internal/qemu"
	"vigil.dev/vigil/internal/qmp"
	"vigil.dev/vigil/internal/resource"
)

// restore takes over what an earlier daemon left: the addresses recorded
// in the VMIs' statuses are reserved, every QEMU still running is
// reattached (same process, nothing restarted), and run directories of
// VMIs the API no longer knows are removed. A VMI whose QEMU is gone is
// left to the workers, which end it Failed (ProcessLost).
func (a *Agent) restore(ctx context.Context) error {
	items, err := a.listVMIs(ctx)
	if err != nil {
		return err
	}
	a.cache.replace(items)
	var mine []*v1.VirtualMachineInstance
	for i := range items {
		vmi := &items[i]
		if vmi.Status.NodeName == a.cfg.NodeName && !vmi.Status.Phase.IsFinal() {
			mine = append(mine, vmi)
		}
	}
	for _, vmi := range mine {
		if _, err := a.netFor(vmi); err != nil && len(vmi.Status.Interfaces) > 0 {
			a.log.Warn("node: cannot reserve the recorded address", "vmi", key(vmi), "uid", vmi.UID, "err", err)
		}
	}
	var wg sync.WaitGroup
	for _, vmi := range mine {
		if !fileExists(qemu.RunDir(a.cfg.runDir(string(vmi.UID))).Identity()) {
			continue // never launched: the workers start it
		}
		wg.Add(1)
		go func() { defer wg.Done(); a.reattachAtStart(ctx, vmi) }()
	}
	wg.Wait()
	a.sweepRunDirs(items)
	a.mu.Lock()
	n := len(a.states)
	a.mu.Unlock()
	a.log.Info("node: restored state", "vmis", len(items), "onThisNode", len(mine), "reattached", n)
	return ctx.Err()
}

// listVMIs lists all VMIs, retrying until the API answers or ctx ends.
func (a *Agent) listVMIs(ctx context.Context) ([]v1.VirtualMachineInstance, error) {
	for {
		var list v1.VirtualMachineInstanceList
		lctx, cancel := context.WithTimeout(ctx, apiTimeout)
		err := a.api.List(lctx, resource.VirtualMachineInstances, "", client.ListOptions{}, &list)
		cancel()
		if err == nil {
			return list.Items, nil
		}
		a.log.Warn("node: listing VMIs failed, retrying", "err", err, "after", retryDelay)
		select {
		case <-ctx.Done():
			return nil, fmt.Errorf("node: listing VMIs: %w", ctx.Err())
		case <-a.cfg.Clock.After(retryDelay):
		}
	}
}

// reattachAtStart takes over the VMI's QEMU if it still runs. A QEMU that
// lives but does not answer on QMP is kept as an orphan and retried; it is
// never taken for dead.
func (a *Agent) reattachAtStart(ctx context.Context, vmi *v1.VirtualMachineInstance) {
	proc, err := a.reattach(ctx, vmi)
	switch {
	case errors.Is(err, qemu.ErrNotRunning):
		a.log.Warn("node: qemu of a running vmi is gone", "vmi", key(vmi), "uid", vmi.UID)
	case err != nil:
		a.log.Warn("node: qemu lives but cannot be reattached yet", "vmi", key(vmi), "uid", vmi.UID, "err", err)
		st := a.newState(vmi, nil)
		st.orphan = true
		a.putState(st)
	default:
		a.adopt(ctx, vmi, proc)
	}
}

// retryReattach is stepReattach: another try at an orphan.
func (a *Agent) retryReattach(ctx context.Context, vmi *v1.VirtualMachineInstance, st *vmiState) error {
	proc, err := a.reattach(ctx, vmi)
	switch {
	case errors.Is(err, qemu.ErrNotRunning):
		a.dropState(vmi.UID)
		a.queue.Add(vmi.UID) // decide again: it is lost
		return nil
	case err != nil:
		return err
	}
	a.dropState(vmi.UID)
	a.adopt(ctx, vmi, proc)
	return nil
}

func (a *Agent) reattach(ctx context.Context, vmi *v1.VirtualMachineInstance) (*qemu.Process, error) {
	ctx, cancel := context.WithTimeout(ctx, reattachTimeout)
	defer cancel()
	return qemu.Reattach(ctx, a.cfg.runDir(string(vmi.UID)), vmi.UID,
		qemu.ReattachOptions{Logger: a.log.With("vmi", key(vmi))})
}

// adopt watches a reattached QEMU: its lease is registered again (the tap
// is adopted as it is), a QEMU left before its first cont (the earlier
// daemon died during the start) is let run, and monitoring resumes.
func (a *Agent) adopt(ctx context.Context, vmi *v1.VirtualMachineInstance, proc *qemu.Process) {
	log := a.log.With("vmi", key(vmi), "uid", vmi.UID, "pid", proc.PID())
	ni, err := a.netFor(vmi)
	if err == nil && ni != nil {
		_, err = a.attachNet(ctx, vmi, ni)
	}
	if err != nil {
		log.Warn("node: network of a reattached vmi", "err", err)
	}
	a.contIfPrelaunch(ctx, vmi, proc, log)
	st := a.newState(vmi, ni)
	st.obs.Readiness = publishedReadiness(vmi)
	a.attach(st, proc, vmi)
	log.Info("node: reattached to running qemu")
	a.startProbing(st, vmi.DeepCopy(), true)
}

func (a *Agent) contIfPrelaunch(ctx context.Context, vmi *v1.VirtualMachineInstance, proc *qemu.Process, log *slog.Logger) {
	qctx, cancel := context.WithTimeout(ctx, qmpQueryTimeout)
	defer cancel()
	status, err := proc.QMP().QueryStatus(qctx)
	if err != nil || status.Status != qmp.StatePrelaunch {
		return
	}
	if ss := vmi.Spec.StartStrategy; ss != nil && *ss == v1.StartStrategyPaused {
		return
	}
	if err := proc.Resume(qctx); err != nil {
		log.Warn("node: starting the vcpus of a qemu left before its start", "err", err)
		return
	}
	log.Info("node: started the vcpus of a qemu left before its start")
}

// sweepRunDirs removes the run directories of VMIs the API does not know
// (deleted while the daemon was down, or a start cut short). A directory
// whose QEMU still runs is left alone and logged: the API may be the wrong
// one, and killing VMs on a guess is worse than a stray process.
func (a *Agent) sweepRunDirs(items []v1.VirtualMachineInstance) {
	known := make(map[types.UID]bool, len(items))
	for i := range items {
		known[items[i].UID] = true
	}
	base := filepath.Join(a.cfg.DataDir, vmisDir)
	entries, err := os.ReadDir(base)
	if err != nil {
		if !errors.Is(err, os.ErrNotExist) {
			a.log.Warn("node: listing run directories", "dir", base, "err", err)
		}
		return
	}
	for _, e := range entries {
		uid := types.UID(e.Name())
		if !e.IsDir() || known[uid] {
			continue
		}
		if err := a.removeAll(uid); errors.Is(err, qemu.ErrStillRunning) {
			a.log.Warn("node: a qemu whose vmi the api does not know still runs; left alone", "uid", uid, "dir", filepath.Join(base, e.Name()))
		} else if err != nil {
			a.log.Warn("node: removing a stray run directory", "uid", uid, "err", err)
		} else {
			a.log.Info("node: removed the run directory of a vmi the api does not know", "uid", uid)
		}
	}
}

// publishedReadiness is the readiness a prober had published before the
// restart, as the Ready condition still shows it, so the condition does
// not flap while the probes start again; nil when there is none.
func publishedReadiness(vmi *v1.VirtualMachineInstance) *Readiness {
	if vmi.Spec.ReadinessProbe == nil || vmi.Status.Phase != v1.Running {
		return nil
	}
	for _, c := range vmi.Status.Conditions {
		if c.Type != v1.VirtualMachineInstanceReady {
			continue
		}
		switch c.Reason {
		case v1.GuestNotRunningReason, ReasonTerminating, ReasonReadinessProbePending, ReasonPaused:
			return nil // the node's own words, not a probe result
		}
		return &Readiness{Ready: c.Status == corev1.ConditionTrue, Reason: c.Reason, Message: c.Message}
	}
	return nil
}
