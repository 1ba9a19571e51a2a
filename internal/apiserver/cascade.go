package apiserver

import (
	"context"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"

	v1 "vigil.dev/vigil/api/v1"
	"vigil.dev/vigil/internal/resource"
	"vigil.dev/vigil/internal/store"
)

// cascadeTimeout bounds the deletion of a VM's instances. It is detached
// from the request: a client that hangs up right after the VM is gone must
// not leave its instances behind.
const cascadeTimeout = 30 * time.Second

// afterDelete runs once an object is really gone. Deleting a VirtualMachine
// deletes the VirtualMachineInstances it controls (Kubernetes' garbage
// collector does this for owners; vigil has none, so the API server does it
// at once, in background-propagation style: the reply does not wait for the
// instances to be gone, only for their deletion to be requested).
func (s *Server) afterDelete(ctx context.Context, req request, deleted runtime.Object, casc cascade) {
	if req.res != resource.VirtualMachines || casc == orphanDependents {
		return
	}
	vm, ok := deleted.(*v1.VirtualMachine)
	if !ok {
		return
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), cascadeTimeout)
	defer cancel()
	if err := s.deleteControlledVMIs(ctx, vm); err != nil {
		s.log.Error("deleting the instances of a deleted VM", "vm", vm.Name, "namespace", vm.Namespace, "uid", vm.UID, "err", err)
	}
}

// deleteControlledVMIs deletes every VMI of the VM's namespace whose
// controller owner reference names the VM's uid. A VMI with finalizers is
// marked for deletion like any other delete would.
func (s *Server) deleteControlledVMIs(ctx context.Context, vm *v1.VirtualMachine) error {
	res := resource.VirtualMachineInstances
	list := &v1.VirtualMachineInstanceList{}
	if err := s.cfg.Store.List(ctx, res, vm.Namespace, store.ListOptions{}, list); err != nil {
		return err
	}
	for i := range list.Items {
		vmi := &list.Items[i]
		if !controlledBy(vmi, vm.UID) {
			continue
		}
		req := request{res: res, namespace: vmi.Namespace, name: vmi.Name}
		uid := vmi.UID
		opts := &metav1.DeleteOptions{Preconditions: &metav1.Preconditions{UID: &uid}}
		var err error
		for attempt := 1; attempt <= deleteAttempts; attempt++ {
			_, err = s.deleteOnce(ctx, req, opts, false, cascadeDependents)
			if !errRetryDelete(err) {
				break
			}
		}
		switch {
		case err == nil:
			s.log.Info("deleted the instance of a deleted VM", "vm", vm.Name, "vmi", vmi.Name, "uid", uid)
		case apierrors.IsNotFound(err) || apierrors.IsConflict(err):
			// Gone already, or replaced by a VMI with another uid.
		default:
			return err
		}
	}
	return nil
}

// controlledBy reports whether obj's controller reference names uid.
func controlledBy(obj metav1.Object, uid types.UID) bool {
	ref := metav1.GetControllerOfNoCopy(obj)
	return ref != nil && ref.UID == uid
}
