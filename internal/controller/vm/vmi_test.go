package vm

import (
	"testing"

	"k8s.io/apimachinery/pkg/api/equality"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	v1 "vigil.dev/vigil/api/v1"
)

func TestNewVMI(t *testing.T) {
	grace := int64(5)
	vm := strategyVM(v1.RunStrategyAlways)
	vm.UID = "vm-uid"
	vm.Spec.Template = &v1.VirtualMachineInstanceTemplateSpec{
		ObjectMeta: metav1.ObjectMeta{
			Name:        "ignored",
			Labels:      map[string]string{"app": "web"},
			Annotations: map[string]string{"kubevirt.io/pause-guest-agent-probes": "true"},
		},
		Spec: v1.VirtualMachineInstanceSpec{
			TerminationGracePeriodSeconds: &grace,
			ReadinessProbe:                &v1.Probe{PeriodSeconds: 2},
			NodeSelector:                  map[string]string{"k": "v"},
		},
	}
	vmi := NewVMI(vm)

	if vmi.Name != "vm1" || vmi.Namespace != "default" || vmi.APIVersion != "kubevirt.io/v1" || vmi.Kind != "VirtualMachineInstance" {
		t.Errorf("identity %s/%s %s %s", vmi.Namespace, vmi.Name, vmi.APIVersion, vmi.Kind)
	}
	if !equality.Semantic.DeepEqual(vmi.Labels, map[string]string{"app": "web", NameLabel: "vm1"}) {
		t.Errorf("labels %v", vmi.Labels)
	}
	if vmi.Annotations["kubevirt.io/pause-guest-agent-probes"] != "true" {
		t.Errorf("annotations %v", vmi.Annotations)
	}
	if !equality.Semantic.DeepEqual(vmi.Spec, vm.Spec.Template.Spec) {
		t.Errorf("spec differs from the template")
	}
	yes := true
	want := []metav1.OwnerReference{{APIVersion: "kubevirt.io/v1", Kind: "VirtualMachine", Name: "vm1", UID: "vm-uid",
		Controller: &yes, BlockOwnerDeletion: &yes}}
	if !equality.Semantic.DeepEqual(vmi.OwnerReferences, want) {
		t.Errorf("ownerReferences %+v", vmi.OwnerReferences)
	}
	if vmi.Status.Phase != "" || vmi.UID != "" || vmi.ResourceVersion != "" {
		t.Errorf("server-owned fields set: phase=%q uid=%q rv=%q", vmi.Status.Phase, vmi.UID, vmi.ResourceVersion)
	}

	// The VMI is a copy: changing it leaves the VM's template alone.
	vmi.Spec.NodeSelector["k"] = "changed"
	vmi.Labels["app"] = "changed"
	*vmi.Spec.TerminationGracePeriodSeconds = 99
	if vm.Spec.Template.Spec.NodeSelector["k"] != "v" || vm.Spec.Template.ObjectMeta.Labels["app"] != "web" || grace != 5 {
		t.Error("NewVMI shares memory with the VM template")
	}
}
