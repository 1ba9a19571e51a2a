package apiserver

import (
	"strings"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	v1 "vigil.dev/vigil/api/v1"
)

func TestCRUDStatusCodes(t *testing.T) {
	e := newEnv(t)
	var created v1.VirtualMachine
	e.do("POST", e.vmPath(), "application/json", vmJSON("a", "Halted")).must(t, 201).into(t, &created)
	if created.UID == "" || created.ResourceVersion == "" || created.Generation != 1 || created.Namespace != e.ns {
		t.Fatalf("created object lacks server fields: %+v", created.ObjectMeta)
	}
	if created.Kind != "VirtualMachine" || created.APIVersion != "kubevirt.io/v1" {
		t.Errorf("kind/apiVersion %q %q", created.Kind, created.APIVersion)
	}
	st := e.do("POST", e.vmPath(), "application/json", vmJSON("a", "Halted")).must(t, 409).status(t)
	if st.Reason != metav1.StatusReasonAlreadyExists {
		t.Errorf("duplicate create: reason %q", st.Reason)
	}
	e.do("GET", e.vmPath("a"), "", nil).must(t, 200)
	if st := e.do("GET", e.vmPath("nope"), "", nil).must(t, 404).status(t); st.Reason != metav1.StatusReasonNotFound {
		t.Errorf("missing get: reason %q", st.Reason)
	}

	created.Labels = map[string]string{"changed": "yes"}
	var updated v1.VirtualMachine
	e.do("PUT", e.vmPath("a"), "application/json", &created).must(t, 200).into(t, &updated)
	if updated.Labels["changed"] != "yes" || updated.ResourceVersion == created.ResourceVersion {
		t.Errorf("update: labels %v rv %s -> %s", updated.Labels, created.ResourceVersion, updated.ResourceVersion)
	}
	if updated.Generation != 1 {
		t.Errorf("a label change moved generation to %d", updated.Generation)
	}

	var list v1.VirtualMachineList
	e.do("GET", e.vmPath(), "", nil).must(t, 200).into(t, &list)
	if list.Kind != "VirtualMachineList" || list.ResourceVersion == "" || len(list.Items) != 1 {
		t.Fatalf("list: kind %q rv %q items %d", list.Kind, list.ResourceVersion, len(list.Items))
	}

	e.do("DELETE", e.vmPath("a"), "", nil).must(t, 200)
	e.do("GET", e.vmPath("a"), "", nil).must(t, 404)
	e.do("DELETE", e.vmPath("a"), "", nil).must(t, 404)
}

func TestCreateRules(t *testing.T) {
	e := newEnv(t)
	vm := vmJSON("", "Halted")
	vm["metadata"] = map[string]any{"generateName": "gen-"}
	var got v1.VirtualMachine
	e.do("POST", e.vmPath(), "application/json", vm).must(t, 201).into(t, &got)
	if !strings.HasPrefix(got.Name, "gen-") || len(got.Name) != len("gen-")+5 {
		t.Errorf("generated name %q", got.Name)
	}

	other := vmJSON("b", "Halted")
	other["metadata"].(map[string]any)["namespace"] = "elsewhere"
	e.do("POST", e.vmPath(), "application/json", other).must(t, 400).status(t)

	wrongKind := vmJSON("c", "Halted")
	wrongKind["kind"] = "VirtualMachineInstance"
	e.do("POST", e.vmPath(), "application/json", wrongKind).must(t, 400)

	e.do("POST", "/apis/kubevirt.io/v1/virtualmachines", "application/json", vmJSON("d", "Halted")).must(t, 405)
	e.do("POST", e.vmPath(), "application/json", "{not json").must(t, 400).status(t)
}

func TestCreateWithRunningWarns(t *testing.T) {
	e := newEnv(t)
	vm := vmJSON("w", "Halted")
	spec := vm["spec"].(map[string]any)
	delete(spec, "runStrategy")
	spec["running"] = false
	r := e.do("POST", e.vmPath(), "application/json", vm).must(t, 201)
	want := `299 - "spec.running is deprecated, please use spec.runStrategy instead."`
	if got := r.header.Get("Warning"); got != want {
		t.Errorf("Warning header %q, want %q", got, want)
	}
}

func TestDryRunStoresNothing(t *testing.T) {
	e := newEnv(t)
	e.do("POST", e.vmPath()+"?dryRun=All", "application/json", vmJSON("dry", "Halted")).must(t, 201)
	e.do("GET", e.vmPath("dry"), "", nil).must(t, 404)
	e.do("POST", e.vmPath()+"?dryRun=Some", "application/json", vmJSON("dry", "Halted")).must(t, 400)

	e.do("POST", e.vmPath(), "application/json", vmJSON("dry", "Halted")).must(t, 201)
	e.do("PATCH", e.vmPath("dry")+"?dryRun=All", mergePatch, `{"metadata":{"labels":{"x":"y"}}}`).must(t, 200)
	e.do("DELETE", e.vmPath("dry")+"?dryRun=All", "", nil).must(t, 200)
	var got v1.VirtualMachine
	e.do("GET", e.vmPath("dry"), "", nil).must(t, 200).into(t, &got)
	if got.Labels["x"] != "" {
		t.Errorf("a dry-run patch was stored: %v", got.Labels)
	}
}

func TestStaleResourceVersionIsConflict(t *testing.T) {
	e := newEnv(t)
	var vm v1.VirtualMachine
	e.do("POST", e.vmPath(), "application/json", vmJSON("c", "Halted")).must(t, 201).into(t, &vm)
	first := vm.DeepCopy()
	first.Labels = map[string]string{"w": "1"}
	e.do("PUT", e.vmPath("c"), "application/json", first).must(t, 200)
	stale := vm.DeepCopy()
	stale.Labels = map[string]string{"w": "2"}
	st := e.do("PUT", e.vmPath("c"), "application/json", stale).must(t, 409).status(t)
	if st.Reason != metav1.StatusReasonConflict || !strings.Contains(st.Message, "the object has been modified") {
		t.Errorf("conflict status %+v", st)
	}
	e.do("PUT", e.vmPath("other"), "application/json", stale).must(t, 400) // name differs from the URL's
}

func TestInvalidObjectIs422WithOneCausePerField(t *testing.T) {
	e := newEnv(t)
	vm := vmJSON("bad", "Sometimes")
	tmplSpec := vm["spec"].(map[string]any)["template"].(map[string]any)["spec"].(map[string]any)
	tmplSpec["readinessProbe"] = map[string]any{"tcpSocket": map[string]any{"port": 0}}
	st := e.do("POST", e.vmPath(), "application/json", vm).must(t, 422).status(t)
	if st.Reason != metav1.StatusReasonInvalid || st.Details == nil {
		t.Fatalf("status %+v", st)
	}
	fields := map[string]bool{}
	for _, c := range st.Details.Causes {
		fields[c.Field] = true
	}
	for _, f := range []string{"spec.runStrategy", "spec.template.spec.readinessProbe.tcpSocket.port"} {
		if !fields[f] {
			t.Errorf("no cause for %s in %+v", f, st.Details.Causes)
		}
	}
	if !strings.HasPrefix(st.Message, `VirtualMachine.kubevirt.io "bad" is invalid: [`) {
		t.Errorf("message %q", st.Message)
	}

	unknown := vmJSON("typo", "Halted")
	unknown["spec"].(map[string]any)["colour"] = "blue"
	unknown["metadata"].(map[string]any)["nme"] = "x"
	st = e.do("POST", e.vmPath(), "application/json", unknown).must(t, 422).status(t)
	fields = map[string]bool{}
	for _, c := range st.Details.Causes {
		fields[c.Field] = true
	}
	if !fields["spec.colour"] || !fields["metadata.nme"] || len(st.Details.Causes) != 2 {
		t.Errorf("unknown fields: causes %+v", st.Details.Causes)
	}
	e.do("GET", e.vmPath("typo"), "", nil).must(t, 404)
}

func TestUnknownPathsAreStatus404(t *testing.T) {
	e := newEnv(t)
	for _, p := range []string{"/", "/apis/kubevirt.io/v1/namespaces/x/widgets", "/api/v1//services",
		"/apis/kubevirt.io/v1/namespaces/x/virtualmachines/a/b/c", "/nothing"} {
		if st := e.do("GET", p, "", nil).must(t, 404).status(t); st.Reason != metav1.StatusReasonNotFound {
			t.Errorf("%s: reason %q", p, st.Reason)
		}
	}
	e.do("GET", e.vmPath("a", "console"), "", nil).must(t, 404)
	e.do("GET", e.vmPath(".."), "", nil).must(t, 400)
}

func TestVMICreateStartsPending(t *testing.T) {
	e := newEnv(t)
	vmi := vmiJSON("p")
	vmi["status"] = map[string]any{"phase": "Running", "nodeName": "somewhere"}
	var got v1.VirtualMachineInstance
	e.do("POST", e.vmiPath(), "application/json", vmi).must(t, 201).into(t, &got)
	if got.Status.Phase != v1.Pending || got.Status.NodeName != "" {
		t.Errorf("status %+v", got.Status)
	}
	ts := got.Status.PhaseTransitionTimestamps
	if len(ts) != 1 || ts[0].Phase != v1.Pending || ts[0].PhaseTransitionTimestamp.IsZero() {
		t.Errorf("phaseTransitionTimestamps %+v", ts)
	}
}

func TestStatusSubresource(t *testing.T) {
	e := newEnv(t)
	var vm v1.VirtualMachine
	e.do("POST", e.vmPath(), "application/json", vmJSON("s", "Halted")).must(t, 201).into(t, &vm)
	withStatus := vm.DeepCopy()
	withStatus.Status.PrintableStatus = v1.VirtualMachineStatusStopped
	e.do("PUT", e.vmPath("s", "status"), "application/json", withStatus).must(t, 200).into(t, &vm)

	// Main resource: status kept, a spec change moves generation.
	main := vm.DeepCopy()
	main.Status.PrintableStatus = v1.VirtualMachineStatusRunning
	always := v1.RunStrategyAlways
	main.Spec.RunStrategy = &always
	var afterMain v1.VirtualMachine
	e.do("PUT", e.vmPath("s"), "application/json", main).must(t, 200).into(t, &afterMain)
	if afterMain.Status.PrintableStatus != v1.VirtualMachineStatusStopped || *afterMain.Spec.RunStrategy != always || afterMain.Generation != 2 {
		t.Errorf("main update: status %s strategy %s generation %d", afterMain.Status.PrintableStatus, *afterMain.Spec.RunStrategy, afterMain.Generation)
	}

	// Status: only status changes.
	var vmi v1.VirtualMachineInstance
	e.do("POST", e.vmiPath(), "application/json", vmiJSON("s")).must(t, 201).into(t, &vmi)
	st := vmi.DeepCopy()
	st.Status.Phase = v1.Running
	st.Spec.Hostname = "ignored"
	st.Labels = map[string]string{"ignored": "yes"}
	var afterStatus v1.VirtualMachineInstance
	e.do("PUT", e.vmiPath("s", "status"), "application/json", st).must(t, 200).into(t, &afterStatus)
	if afterStatus.Status.Phase != v1.Running || afterStatus.Spec.Hostname != "" ||
		afterStatus.Labels["ignored"] != "" || afterStatus.Generation != 1 {
		t.Errorf("status update: phase %s hostname %q labels %v generation %d",
			afterStatus.Status.Phase, afterStatus.Spec.Hostname, afterStatus.Labels, afterStatus.Generation)
	}
	e.do("PATCH", e.vmiPath("s", "status"), mergePatch, `{"status":{"reason":"Tested"}}`).must(t, 200)
	e.do("GET", e.corePath("endpoints", "x", "status"), "", nil).must(t, 404)
}
