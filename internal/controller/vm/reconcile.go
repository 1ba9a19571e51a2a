package vm

import (
	"context"
	"fmt"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	v1 "vigil.dev/vigil/api/v1"
	"vigil.dev/vigil/internal/controller/informer"
	"vigil.dev/vigil/internal/resource"
)

// reconcile brings one VM in line with Decide. The status is written
// first: when the write is refused (Conflict) the VM read was stale, and
// nothing is done until the newer VM arrives. Everything the decision
// depends on (requests, the crash-loop record) is recomputed from what is
// observed, so a status written before an action that then fails loses
// nothing. It returns when to look again (crash-loop backoff).
func (c *Controller) reconcile(ctx context.Context, key string) (requeueAfter time.Duration, err error) {
	vm, ok := c.vms.Cache().Get(key)
	if !ok {
		return 0, nil // gone: the API server deletes its VMIs
	}
	vmi, foreign := c.vmiOf(vm)
	d := Decide(Input{VM: vm, VMI: vmi, Now: c.opts.Clock.Now(), Jitter: c.opts.Jitter})
	if foreign != nil && d.Create {
		// A VMI of the same name that another owner (a deleted VM of the
		// same name) still holds: wait until it is gone.
		c.log.Info("waiting for a VMI of another owner to go", "vm", key, "vmi", foreign.Name, "uid", foreign.UID)
		d.Create = false
	}
	written, err := c.writeStatus(ctx, vm, d.Status)
	if err != nil || !written {
		return 0, err
	}
	switch {
	case d.DeleteUID != "":
		err = c.deleteVMI(ctx, vm, vmi)
	case d.Create:
		err = c.createVMI(ctx, vm)
	}
	return d.RequeueAfter, err
}

// vmiOf is the VM's VMI from the cache, or nil; a VMI of the same name
// controlled by another owner comes back as foreign instead.
func (c *Controller) vmiOf(vm *v1.VirtualMachine) (vmi, foreign *v1.VirtualMachineInstance) {
	vmi, ok := c.vmis.Cache().Get(informer.Key(vm))
	if !ok {
		return nil, nil
	}
	if ref := metav1.GetControllerOf(vmi); ref != nil && ref.UID != vm.UID {
		return nil, vmi
	}
	return vmi, nil
}

// writeStatus stores a changed status. written is false when the VM is
// gone meanwhile, so there is nothing left to act for.
func (c *Controller) writeStatus(ctx context.Context, vm *v1.VirtualMachine, status v1.VirtualMachineStatus) (written bool, err error) {
	if equality.Semantic.DeepEqual(vm.Status, status) {
		return true, nil
	}
	next := vm.DeepCopy()
	next.Status = status
	err = c.api.UpdateStatus(ctx, resource.VirtualMachines, next)
	switch {
	case apierrors.IsNotFound(err):
		return false, nil
	case err != nil:
		return false, fmt.Errorf("updating the status of virtual machine %s/%s: %w", vm.Namespace, vm.Name, err)
	}
	c.vms.Cache().Swap(vm, next)
	return true, nil
}

func (c *Controller) createVMI(ctx context.Context, vm *v1.VirtualMachine) error {
	if alive, err := c.stillWanted(ctx, vm); err != nil || !alive {
		return err
	}
	vmi := NewVMI(vm)
	err := c.api.Create(ctx, resource.VirtualMachineInstances, vmi)
	switch {
	case apierrors.IsAlreadyExists(err):
		// The cache is behind; the watch will bring the VMI.
		c.log.Debug("VMI exists already", "vm", vm.Name, "vmi", vm.Name)
		return nil
	case err != nil:
		c.opts.Recorder.Event(vm, corev1.EventTypeWarning, ReasonFailedCreate,
			fmt.Sprintf("Error creating virtual machine instance: %v", err))
		return fmt.Errorf("creating virtual machine instance %s/%s: %w", vm.Namespace, vm.Name, err)
	}
	c.vmis.Cache().AddIfAbsent(vmi)
	c.log.Info("started VM by creating its VMI", "vm", vm.Namespace+"/"+vm.Name, "vmi", vmi.Name, "uid", vmi.UID)
	c.opts.Recorder.Event(vm, corev1.EventTypeNormal, ReasonSuccessfulCreate,
		fmt.Sprintf("Started the virtual machine by creating the new virtual machine instance %s", vmi.Name))
	return nil
}

// stillWanted reads the VM from the server before a create: VMs and VMIs
// come through separate watches, so the cache may still hold a VM whose
// deletion already took its VMI away. A VMI made for it would be orphaned.
func (c *Controller) stillWanted(ctx context.Context, vm *v1.VirtualMachine) (bool, error) {
	live := &v1.VirtualMachine{}
	err := c.api.Get(ctx, resource.VirtualMachines, vm.Namespace, vm.Name, live)
	switch {
	case apierrors.IsNotFound(err):
		return false, nil
	case err != nil:
		return false, fmt.Errorf("reading virtual machine %s/%s: %w", vm.Namespace, vm.Name, err)
	}
	return live.UID == vm.UID && live.DeletionTimestamp == nil, nil
}

func (c *Controller) deleteVMI(ctx context.Context, vm *v1.VirtualMachine, vmi *v1.VirtualMachineInstance) error {
	uid := vmi.UID
	err := c.api.Delete(ctx, resource.VirtualMachineInstances, vmi.Namespace, vmi.Name,
		metav1.DeleteOptions{Preconditions: &metav1.Preconditions{UID: &uid}})
	switch {
	case apierrors.IsNotFound(err), apierrors.IsConflict(err):
		// Gone already, or replaced (the UID precondition failed): the
		// cache is behind and the watch will catch up.
		return nil
	case err != nil:
		c.opts.Recorder.Event(vm, corev1.EventTypeWarning, ReasonFailedDelete,
			fmt.Sprintf("Error deleting virtual machine instance %s: %v", vmi.Name, err))
		return fmt.Errorf("deleting virtual machine instance %s/%s: %w", vmi.Namespace, vmi.Name, err)
	}
	c.markDeleting(vmi)
	c.log.Info("stopped VM by deleting its VMI", "vm", vm.Namespace+"/"+vm.Name, "vmi", vmi.Name, "uid", uid)
	c.opts.Recorder.Event(vm, corev1.EventTypeNormal, ReasonSuccessfulDelete,
		fmt.Sprintf("Stopped the virtual machine by deleting the virtual machine instance %s", uid))
	return nil
}

// markDeleting notes in the cache that a VMI is being deleted, so the
// next pass waits for it instead of deleting it again.
func (c *Controller) markDeleting(vmi *v1.VirtualMachineInstance) {
	if vmi.DeletionTimestamp != nil {
		return
	}
	marked := vmi.DeepCopy()
	now := metav1.NewTime(c.opts.Clock.Now())
	marked.DeletionTimestamp = &now
	c.vmis.Cache().Swap(vmi, marked)
}
