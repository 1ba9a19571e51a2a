package apiserver

import (
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	v1 "vigil.dev/vigil/api/v1"
)

func TestDeleteWithFinalizers(t *testing.T) {
	e := newEnv(t)
	vmi := vmiJSON("f")
	vmi["metadata"].(map[string]any)["finalizers"] = []string{"vigil.dev/node"}
	e.do("POST", e.vmiPath(), "application/json", vmi).must(t, 201)

	var marked v1.VirtualMachineInstance
	e.do("DELETE", e.vmiPath("f"), "application/json", `{"propagationPolicy":"Background","gracePeriodSeconds":5}`).must(t, 200).into(t, &marked)
	if marked.DeletionTimestamp == nil || marked.DeletionGracePeriodSeconds == nil || *marked.DeletionGracePeriodSeconds != 5 {
		t.Fatalf("not marked for deletion: %+v", marked.ObjectMeta)
	}
	var again v1.VirtualMachineInstance
	e.do("DELETE", e.vmiPath("f"), "", nil).must(t, 200).into(t, &again)
	if !again.DeletionTimestamp.Equal(marked.DeletionTimestamp) {
		t.Errorf("a second delete moved deletionTimestamp %v -> %v", marked.DeletionTimestamp, again.DeletionTimestamp)
	}
	// Adding a finalizer to an object being deleted is refused.
	e.do("PATCH", e.vmiPath("f"), mergePatch, `{"metadata":{"finalizers":["vigil.dev/node","other.dev/x"]}}`).must(t, 422)
	e.do("GET", e.vmiPath("f"), "", nil).must(t, 200)

	e.do("PATCH", e.vmiPath("f"), mergePatch, `{"metadata":{"finalizers":null}}`).must(t, 200)
	e.do("GET", e.vmiPath("f"), "", nil).must(t, 404)
}

func TestDeletePreconditions(t *testing.T) {
	e := newEnv(t)
	var vm v1.VirtualMachine
	e.do("POST", e.vmPath(), "application/json", vmJSON("pre", "Halted")).must(t, 201).into(t, &vm)
	e.do("DELETE", e.vmPath("pre"), "application/json", `{"preconditions":{"uid":"not-it"}}`).must(t, 409)
	e.do("DELETE", e.vmPath("pre"), "application/json", `{"preconditions":{"resourceVersion":"1"}}`).must(t, 409)
	e.do("DELETE", e.vmPath("pre"), "application/json", `{"propagationPolicy":"Sideways"}`).must(t, 400)
	e.do("DELETE", e.vmPath("pre"), "application/json", `{not json`).must(t, 400)
	body := map[string]any{"preconditions": map[string]any{"uid": vm.UID, "resourceVersion": vm.ResourceVersion}}
	e.do("DELETE", e.vmPath("pre"), "application/json", body).must(t, 200)
}

// vmiOwnedBy is a VMI whose controller is the VM with uid.
func vmiOwnedBy(name string, vm *v1.VirtualMachine) map[string]any {
	vmi := vmiJSON(name)
	vmi["metadata"].(map[string]any)["ownerReferences"] = []metav1.OwnerReference{{
		APIVersion: "kubevirt.io/v1", Kind: "VirtualMachine", Name: vm.Name, UID: vm.UID,
		Controller: ptr(true), BlockOwnerDeletion: ptr(true),
	}}
	return vmi
}

func ptr[T any](v T) *T { return &v }

func TestDeletingAVMDeletesItsVMI(t *testing.T) {
	e := newEnv(t)
	var vm, other v1.VirtualMachine
	e.do("POST", e.vmPath(), "application/json", vmJSON("owner", "Always")).must(t, 201).into(t, &vm)
	e.do("POST", e.vmPath(), "application/json", vmJSON("bystander", "Always")).must(t, 201).into(t, &other)
	e.do("POST", e.vmiPath(), "application/json", vmiOwnedBy("owner", &vm)).must(t, 201)
	e.do("POST", e.vmiPath(), "application/json", vmiOwnedBy("bystander", &other)).must(t, 201)
	e.do("POST", e.vmiPath(), "application/json", vmiJSON("loose")).must(t, 201)

	e.do("DELETE", e.vmPath("owner"), "", nil).must(t, 200)
	e.do("GET", e.vmiPath("owner"), "", nil).must(t, 404)
	e.do("GET", e.vmiPath("bystander"), "", nil).must(t, 200)
	e.do("GET", e.vmiPath("loose"), "", nil).must(t, 200)

	e.do("DELETE", e.vmPath("bystander")+"?propagationPolicy=Orphan", "", nil).must(t, 200)
	e.do("GET", e.vmiPath("bystander"), "", nil).must(t, 200)
}

// A VM with a finalizer deletes its VMI when its last finalizer goes.
func TestFinalizedVMDeletesItsVMIWhenRemoved(t *testing.T) {
	e := newEnv(t)
	vmBody := vmJSON("held", "Always")
	vmBody["metadata"].(map[string]any)["finalizers"] = []string{"vigil.dev/test"}
	var vm v1.VirtualMachine
	e.do("POST", e.vmPath(), "application/json", vmBody).must(t, 201).into(t, &vm)
	e.do("POST", e.vmiPath(), "application/json", vmiOwnedBy("held", &vm)).must(t, 201)
	e.do("DELETE", e.vmPath("held"), "", nil).must(t, 200)
	e.do("GET", e.vmiPath("held"), "", nil).must(t, 200)
	e.do("PATCH", e.vmPath("held"), jsonPatch, `[{"op":"remove","path":"/metadata/finalizers"}]`).must(t, 200)
	e.do("GET", e.vmPath("held"), "", nil).must(t, 404)
	e.do("GET", e.vmiPath("held"), "", nil).must(t, 404)
}

// The grace period is recorded only when the DELETE gives one: 0 (stop at
// once) and "not given" (use the object's own) must stay apart.
func TestDeleteGracePeriodRecordedOnlyWhenGiven(t *testing.T) {
	e := newEnv(t)
	for name, body := range map[string]string{"given0": `{"gracePeriodSeconds":0}`, "absent": `{}`} {
		vmi := vmiJSON(name)
		vmi["metadata"].(map[string]any)["finalizers"] = []string{"vigil.dev/node"}
		e.do("POST", e.vmiPath(), "application/json", vmi).must(t, 201)
		var marked v1.VirtualMachineInstance
		e.do("DELETE", e.vmiPath(name), "application/json", body).must(t, 200).into(t, &marked)
		g := marked.DeletionGracePeriodSeconds
		switch name {
		case "given0":
			if g == nil || *g != 0 {
				t.Errorf("gracePeriodSeconds 0: recorded %v, want 0", g)
			}
		case "absent":
			if g != nil {
				t.Errorf("no grace period given: recorded %d, want none", *g)
			}
		}
	}
}
