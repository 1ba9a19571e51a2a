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

// updateStatus applies mutate to the latest version of the VMI and writes
// its status, retrying on Conflict; nothing is written when mutate changes
// nothing. It returns the VMI as written (or as read). errVanished means
// the VMI is gone or was replaced by another of the same name.
func (a *Agent) updateStatus(ctx context.Context, vmi *v1.VirtualMachineInstance, mutate mutation) (*v1.VirtualMachineInstance, error) {
	if cached := vmi.DeepCopy(); !mutate(cached) {
		return vmi, nil // the cache already says it; no need to read
	}
	return a.readModifyWrite(ctx, vmi, mutate, a.api.UpdateStatus)
}

// updateObject is updateStatus for metadata (finalizers).
func (a *Agent) updateObject(ctx context.Context, vmi *v1.VirtualMachineInstance, mutate mutation) (*v1.VirtualMachineInstance, error) {
	return a.readModifyWrite(ctx, vmi, mutate, a.api.Update)
}

func (a *Agent) readModifyWrite(ctx context.Context, vmi *v1.VirtualMachineInstance, mutate mutation,
	write func(context.Context, *resource.Info, runtime.Object) error) (*v1.VirtualMachineInstance, error) {
	var err error
	for range conflictRetries {
		latest, gerr := a.getLatest(ctx, vmi)
		if gerr != nil {
			return nil, gerr
		}
		if !mutate(latest) {
			return latest, nil
		}
		callCtx, cancel := context.WithTimeout(ctx, apiTimeout)
		err = write(callCtx, resource.VirtualMachineInstances, latest)
		cancel()
		switch {
		case err == nil:
			a.cache.putIfNewer(latest)
			return latest, nil
		case apierrors.IsNotFound(err):
			return nil, fmt.Errorf("vmi %s: %w", key(vmi), errVanished)
		case !apierrors.IsConflict(err):
			return nil, fmt.Errorf("writing vmi %s: %w", key(vmi), err)
		}
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
