package apiserver

import (
	"strings"
	"testing"

	v1 "vigil.dev/vigil/api/v1"
)

func (e *env) actionPath(name, verb string) string {
	return "/apis/subresources.kubevirt.io/v1/namespaces/" + e.ns + "/virtualmachines/" + name + "/" + verb
}

func TestVMStartStopRestart(t *testing.T) {
	e := newEnv(t)
	e.do("POST", e.vmPath(), "application/json", vmJSON("s", "Halted")).must(t, 201)

	r := e.do("PUT", e.actionPath("s", "start"), "application/json", `{"dryRun":[],"paused":false}`).must(t, 202)
	if len(r.body) != 0 {
		t.Errorf("start replied with a body: %s", r.body)
	}
	var vm v1.VirtualMachine
	e.do("GET", e.vmPath("s"), "", nil).must(t, 200).into(t, &vm)
	if vm.Spec.RunStrategy == nil || *vm.Spec.RunStrategy != v1.RunStrategyAlways || vm.Generation != 2 {
		t.Fatalf("after start: strategy %v generation %d", vm.Spec.RunStrategy, vm.Generation)
	}
	st := e.do("PUT", e.actionPath("s", "start"), "", nil).must(t, 409).status(t)
	if !strings.Contains(st.Message, "Always does not support manual start requests") {
		t.Errorf("refusal %q", st.Message)
	}
	e.do("PUT", e.actionPath("s", "stop"), "", nil).must(t, 202)
	e.do("GET", e.vmPath("s"), "", nil).must(t, 200).into(t, &vm)
	if *vm.Spec.RunStrategy != v1.RunStrategyHalted {
		t.Errorf("after stop: strategy %s", *vm.Spec.RunStrategy)
	}
	e.do("PUT", e.actionPath("s", "restart"), "", nil).must(t, 409)

	e.do("PUT", e.actionPath("missing", "start"), "", nil).must(t, 404)
	e.do("PUT", e.actionPath("s", "start"), "application/json", `{not json`).must(t, 400)
	e.do("POST", e.actionPath("s", "start"), "", nil).must(t, 405)
	e.do("PUT", e.actionPath("s", "explode"), "", nil).must(t, 404)
	e.do("GET", "/apis/subresources.kubevirt.io/v1/healthz", "", nil).must(t, 200)
}

func TestRestartQueuesRequestsForTheCurrentVMI(t *testing.T) {
	e := newEnv(t)
	var vm v1.VirtualMachine
	e.do("POST", e.vmPath(), "application/json", vmJSON("r", "Manual")).must(t, 201).into(t, &vm)
	var vmi v1.VirtualMachineInstance
	e.do("POST", e.vmiPath(), "application/json", vmiOwnedBy("r", &vm)).must(t, 201).into(t, &vmi)
	e.do("PUT", e.actionPath("r", "restart"), "", nil).must(t, 202)
	e.do("GET", e.vmPath("r"), "", nil).must(t, 200).into(t, &vm)
	reqs := vm.Status.StateChangeRequests
	if len(reqs) != 2 || reqs[0].Action != v1.StopRequest || reqs[0].UID == nil || *reqs[0].UID != vmi.UID || reqs[1].Action != v1.StartRequest {
		t.Errorf("state change requests %+v", reqs)
	}
}
