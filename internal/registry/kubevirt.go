package registry

import (
	"time"

	apimachineryvalidation "k8s.io/apimachinery/pkg/api/validation"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/validation/field"

	v1 "vigil.dev/vigil/api/v1"
)

var metadataPath = field.NewPath("metadata")

// validateServerMeta checks the metadata api/v1 leaves to the API server
// (v1.ValidateObjectMetaName covers name, namespace, labels and
// annotations, and runs inside the kind's validation): generateName,
// ownerReferences and finalizers.
func validateServerMeta(m *metav1.ObjectMeta) field.ErrorList {
	var errs field.ErrorList
	if m.GenerateName != "" {
		for _, msg := range apimachineryvalidation.NameIsDNSSubdomain(m.GenerateName, true) {
			errs = append(errs, field.Invalid(metadataPath.Child("generateName"), m.GenerateName, msg))
		}
	}
	errs = append(errs, apimachineryvalidation.ValidateOwnerReferences(m.OwnerReferences, metadataPath.Child("ownerReferences"))...)
	return append(errs, apimachineryvalidation.ValidateFinalizers(m.Finalizers, metadataPath.Child("finalizers"))...)
}

// vmStrategy: VirtualMachines. Defaults and validation are api/v1's; the
// status belongs to the VM controller and is written through /status only.
type vmStrategy struct{}

func (vmStrategy) PrepareForCreate(obj runtime.Object, _ time.Time) {
	vm := obj.(*v1.VirtualMachine)
	vm.Status = v1.VirtualMachineStatus{}
	v1.SetDefaultsVirtualMachine(vm)
}

func (vmStrategy) Validate(obj runtime.Object) field.ErrorList {
	vm := obj.(*v1.VirtualMachine)
	errs, _ := v1.ValidateVirtualMachine(vm)
	return append(errs, validateServerMeta(&vm.ObjectMeta)...)
}

func (vmStrategy) Warnings(obj runtime.Object) []string {
	_, warnings := v1.ValidateVirtualMachine(obj.(*v1.VirtualMachine))
	return warnings
}

func (vmStrategy) PrepareForUpdate(newObj, oldObj runtime.Object) {
	vm, old := newObj.(*v1.VirtualMachine), oldObj.(*v1.VirtualMachine)
	vm.Status = *old.Status.DeepCopy()
	v1.SetDefaultsVirtualMachine(vm)
}

func (vmStrategy) PrepareForStatusUpdate(newObj, oldObj runtime.Object) {
	vm, old := newObj.(*v1.VirtualMachine), oldObj.(*v1.VirtualMachine)
	vm.ObjectMeta = *old.ObjectMeta.DeepCopy()
	vm.Spec = *old.Spec.DeepCopy()
}

func (vmStrategy) ValidateUpdate(newObj, oldObj runtime.Object) field.ErrorList {
	errs, _ := v1.ValidateVirtualMachineUpdate(newObj.(*v1.VirtualMachine), oldObj.(*v1.VirtualMachine))
	return errs
}

// vmiStrategy: VirtualMachineInstances. A new VMI starts Pending, whatever
// status the client sent, like a Kubernetes pod; the node agent moves it on
// through /status.
type vmiStrategy struct{}

func (vmiStrategy) PrepareForCreate(obj runtime.Object, now time.Time) {
	vmi := obj.(*v1.VirtualMachineInstance)
	vmi.Status = v1.VirtualMachineInstanceStatus{
		Phase: v1.Pending,
		PhaseTransitionTimestamps: []v1.VirtualMachineInstancePhaseTransitionTimestamp{
			{Phase: v1.Pending, PhaseTransitionTimestamp: metav1.NewTime(now)},
		},
	}
	v1.SetDefaultsVirtualMachineInstance(vmi)
}

func (vmiStrategy) Validate(obj runtime.Object) field.ErrorList {
	vmi := obj.(*v1.VirtualMachineInstance)
	errs := v1.ValidateVirtualMachineInstance(vmi)
	return append(errs, validateServerMeta(&vmi.ObjectMeta)...)
}

func (vmiStrategy) Warnings(runtime.Object) []string { return nil }

func (vmiStrategy) PrepareForUpdate(newObj, oldObj runtime.Object) {
	vmi, old := newObj.(*v1.VirtualMachineInstance), oldObj.(*v1.VirtualMachineInstance)
	vmi.Status = *old.Status.DeepCopy()
	v1.SetDefaultsVirtualMachineInstance(vmi)
}

func (vmiStrategy) PrepareForStatusUpdate(newObj, oldObj runtime.Object) {
	vmi, old := newObj.(*v1.VirtualMachineInstance), oldObj.(*v1.VirtualMachineInstance)
	vmi.ObjectMeta = *old.ObjectMeta.DeepCopy()
	vmi.Spec = *old.Spec.DeepCopy()
}

func (vmiStrategy) ValidateUpdate(newObj, oldObj runtime.Object) field.ErrorList {
	return v1.ValidateVirtualMachineInstanceUpdate(newObj.(*v1.VirtualMachineInstance), oldObj.(*v1.VirtualMachineInstance))
}
