package node

import (
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	v1 "vigil.dev/vigil/api/v1"
)

func TestOwnerVM(t *testing.T) {
	yes := true
	vmi := &v1.VirtualMachineInstance{}
	vmi.Namespace, vmi.Name = "ns", "a"
	if ownerVM(vmi) != nil {
		t.Fatal("a VMI without owner has an owner VM")
	}
	vmi.OwnerReferences = []metav1.OwnerReference{
		{Kind: "Other", Name: "x", UID: "u0", Controller: &yes},
		{Kind: "VirtualMachine", Name: "a", UID: "u1"},
		{Kind: "VirtualMachine", Name: "a", UID: "u2", Controller: &yes},
	}
	vm := ownerVM(vmi)
	if vm == nil || vm.Name != "a" || vm.Namespace != "ns" || vm.UID != "u2" {
		t.Fatalf("ownerVM = %+v, want the controlling VirtualMachine ns/a u2", vm)
	}
}
