package node

import (
	"context"
	"fmt"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/runtime"

	v1 "vigil.dev/vigil/api/v1"
	"vigil.dev/vigil/internal/resource"
)

// conflictRetries bounds the read-modify-write rounds of one write; each
// conflict means someone else wrote in between, so a few rounds suffice.
const conflictRetries = 5

// mutation changes a VMI in place and reports whether it changed anything.
type mutation func(*v1.VirtualMachineInstance) bool

// updateStatus applies mutate to the VMI and writes its status, retrying
// on Conflict; nothing is written when mutate changes nothing. The first
// attempt writes the freshest version the agent has (the given one or the
// cache's) without reading it first: one round trip when nobody else wrote
// in between, and a Conflict (then a read and a retry) when someone did.
// It returns the VMI as written (or as read). errVanished means the VMI is
// gone or was replaced by another of the same name.
func (a *Agent) updateStatus(ctx context.Context, vmi *v1.VirtualMachineInstance, mutate mutation) (*v1.VirtualMachineInstance, error) {
	first := a.freshest(vmi).DeepCopy()
	if !mutate(first) {
		return first, nil // the cache already says it; no need to write
	}
	return a.readModifyWrite(ctx, vmi, first, mutate, a.api.UpdateStatus)
}

// updateObject is updateStatus for metadata (finalizers); it always reads
// the latest version first.
func (a *Agent) updateObject(ctx context.Context, vmi *v1.VirtualMachineInstance, mutate mutation) (*v1.VirtualMachineInstance, error) {
	return a.readModifyWrite(ctx, vmi, nil, mutate, a.api.Update)
}

// freshest is the later of vmi and the cache's version of it.
func (a *Agent) freshest(vmi *v1.VirtualMachineInstance) *v1.VirtualMachineInstance {
	if c := a.cache.get(vmi.UID); c != nil && newerVersion(c.ResourceVersion, vmi.ResourceVersion) {
		return c
	}
	return vmi
}

// readModifyWrite writes first (already mutated) if given, else the latest
// version after mutate; after a Conflict it reads, mutates and writes again.
func (a *Agent) readModifyWrite(ctx context.Context, vmi, first *v1.VirtualMachineInstance, mutate mutation,
	write func(context.Context, *resource.Info, runtime.Object) error) (*v1.VirtualMachineInstance, error) {
	var err error
	next := first
	for range conflictRetries {
		if next == nil {
			latest, gerr := a.getLatest(ctx, vmi)
			if gerr != nil {
				return nil, gerr
			}
			if !mutate(latest) {
				return latest, nil
			}
			next = latest
		}
		callCtx, cancel := context.WithTimeout(ctx, apiTimeout)
		err = write(callCtx, resource.VirtualMachineInstances, next)
		cancel()
		switch {
		case err == nil:
			a.cache.putIfNewer(next)
			return next, nil
		case apierrors.IsNotFound(err):
			return nil, fmt.Errorf("vmi %s: %w", key(vmi), errVanished)
		case !apierrors.IsConflict(err):
			return nil, fmt.Errorf("writing vmi %s: %w", key(vmi), err)
		}
		next = nil
	}
	return nil, fmt.Errorf("writing vmi %s: still conflicting after %d attempts: %w", key(vmi), conflictRetries, err)
}

// getLatest reads the VMI from the API; errVanished when it is gone or
// the name now belongs to another VMI.
func (a *Agent) getLatest(ctx context.Context, vmi *v1.VirtualMachineInstance) (*v1.VirtualMachineInstance, error) {
	ctx, cancel := context.WithTimeout(ctx, apiTimeout)
	defer cancel()
	latest := &v1.VirtualMachineInstance{}
	err := a.api.Get(ctx, resource.VirtualMachineInstances, vmi.Namespace, vmi.Name, latest)
	switch {
	case apierrors.IsNotFound(err):
		return nil, fmt.Errorf("vmi %s: %w", key(vmi), errVanished)
	case err != nil:
		return nil, fmt.Errorf("reading vmi %s: %w", key(vmi), err)
	case latest.UID != vmi.UID:
		return nil, fmt.Errorf("vmi %s uid %s: %w (the name now has uid %s)", key(vmi), vmi.UID, errVanished, latest.UID)
	}
	return latest, nil
}
