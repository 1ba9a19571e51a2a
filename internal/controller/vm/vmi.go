package vm

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	v1 "vigil.dev/vigil/api/v1"
)

// NameLabel is put on every VMI the controller creates and names its VM.
// It is the label KubeVirt's VM templates and launcher pods carry, so
// Services written for KubeVirt select the same VMIs here.
const NameLabel = "vm.kubevirt.io/name"

// NewVMI builds the VMI a VM runs: named like the VM, in its namespace,
// with the template's labels (plus NameLabel), annotations and spec, and
// owned by the VM so that deleting the VM deletes it. The API server sets
// the phase (Pending) on create.
func NewVMI(vm *v1.VirtualMachine) *v1.VirtualMachineInstance {
	tmpl := &v1.VirtualMachineInstanceTemplateSpec{}
	if vm.Spec.Template != nil {
		tmpl = vm.Spec.Template.DeepCopy()
	}
	labels := map[string]string{}
	for k, v := range tmpl.ObjectMeta.Labels {
		labels[k] = v
	}
	labels[NameLabel] = vm.Name
	return &v1.VirtualMachineInstance{
		TypeMeta: metav1.TypeMeta{
			APIVersion: v1.SchemeGroupVersion.String(),
			Kind:       v1.VirtualMachineInstanceGroupVersionKind.Kind,
		},
		ObjectMeta: metav1.ObjectMeta{
			Name:            vm.Name,
			Namespace:       vm.Namespace,
			Labels:          labels,
			Annotations:     tmpl.ObjectMeta.Annotations,
			OwnerReferences: []metav1.OwnerReference{*metav1.NewControllerRef(vm, v1.VirtualMachineGroupVersionKind)},
		},
		Spec: tmpl.Spec,
	}
}
