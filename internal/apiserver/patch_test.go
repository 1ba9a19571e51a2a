package apiserver

import (
	"bytes"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"

	v1 "vigil.dev/vigil/api/v1"
)

func TestInvalidMergePatchIs422AndChangesNothing(t *testing.T) {
	e := newEnv(t)
	var before v1.VirtualMachine
	e.do("POST", e.vmPath(), "application/json", vmJSON("p", "Halted")).must(t, 201).into(t, &before)
	patch := `{"spec":{"runStrategy":"Sometimes","template":{"spec":{"readinessProbe":{"tcpSocket":{"port":0}}}}}}`
	st := e.do("PATCH", e.vmPath("p"), mergePatch, patch).must(t, 422).status(t)
	if st.Details == nil || len(st.Details.Causes) < 2 {
		t.Errorf("want one cause per field, got %+v", st.Details)
	}
	var after v1.VirtualMachine
	e.do("GET", e.vmPath("p"), "", nil).must(t, 200).into(t, &after)
	if after.ResourceVersion != before.ResourceVersion || *after.Spec.RunStrategy != v1.RunStrategyHalted {
		t.Errorf("object changed: rv %s -> %s", before.ResourceVersion, after.ResourceVersion)
	}
	// Renaming through a patch is refused the same way.
	e.do("PATCH", e.vmPath("p"), mergePatch, `{"metadata":{"name":"q"}}`).must(t, 422)
	e.do("PATCH", e.vmPath("p"), mergePatch, `{"spec":{"unknownField":1}}`).must(t, 422)
}

func TestPatchKinds(t *testing.T) {
	e := newEnv(t)
	e.do("POST", e.vmPath(), "application/json", vmJSON("k", "Halted")).must(t, 201)

	var vm v1.VirtualMachine
	e.do("PATCH", e.vmPath("k"), mergePatch, `{"spec":{"runStrategy":"Always"}}`).must(t, 200).into(t, &vm)
	if *vm.Spec.RunStrategy != v1.RunStrategyAlways || vm.Generation != 2 {
		t.Errorf("merge patch: strategy %s generation %d", *vm.Spec.RunStrategy, vm.Generation)
	}
	e.do("PATCH", e.vmPath("k"), jsonPatch, `[{"op":"replace","path":"/spec/runStrategy","value":"Manual"}]`).must(t, 200).into(t, &vm)
	if *vm.Spec.RunStrategy != v1.RunStrategyManual || vm.Generation != 3 {
		t.Errorf("json patch: strategy %s generation %d", *vm.Spec.RunStrategy, vm.Generation)
	}
	e.do("PATCH", e.vmPath("k"), jsonPatch, `[{"op":"test","path":"/spec/runStrategy","value":"Always"}]`).must(t, 422)
	e.do("PATCH", e.vmPath("k"), jsonPatch, `{"not":"a list"}`).must(t, 400)
	e.do("PATCH", e.vmPath("k"), strategicPatch, `{"metadata":{"labels":{"a":"b"}}}`).must(t, 415).status(t)
	e.do("PATCH", e.vmPath("k"), "text/plain", `x`).must(t, 415)
	e.do("PATCH", e.vmPath("k"), mergePatch, `{"metadata":{"resourceVersion":"1"}}`).must(t, 409)
	e.do("PATCH", e.vmPath("missing"), mergePatch, `{}`).must(t, 404)
}

// Strategic merge patch merges Service ports by port number, which a merge
// patch cannot do: the list would be replaced.
func TestStrategicMergePatchOnService(t *testing.T) {
	e := newEnv(t)
	svc := corev1.Service{
		ObjectMeta: metaNamed("web"),
		Spec: corev1.ServiceSpec{
			Selector: map[string]string{"app": "web"},
			Ports:    []corev1.ServicePort{{Name: "http", Port: 80}, {Name: "https", Port: 443}},
		},
	}
	var got corev1.Service
	e.do("POST", e.corePath("services"), "application/json", &svc).must(t, 201).into(t, &got)
	if got.Spec.Ports[0].Protocol != corev1.ProtocolTCP || got.Spec.Ports[0].TargetPort.IntVal != 80 || got.Spec.Type != corev1.ServiceTypeClusterIP {
		t.Errorf("defaults not applied: %+v", got.Spec)
	}
	patch := `{"spec":{"ports":[{"port":443,"name":"tls"}]}}`
	e.do("PATCH", e.corePath("services", "web"), strategicPatch, patch).must(t, 200).into(t, &got)
	if len(got.Spec.Ports) != 2 || got.Spec.Ports[1].Name != "tls" {
		t.Errorf("ports after strategic merge patch: %+v", got.Spec.Ports)
	}
	bad := `{"spec":{"ports":[{"port":70000,"name":"big"}]}}`
	st := e.do("PATCH", e.corePath("services", "web"), strategicPatch, bad).must(t, 422).status(t)
	found := false
	for _, c := range st.Details.Causes {
		found = found || strings.HasSuffix(c.Field, "].port") && strings.Contains(c.Message, "70000")
	}
	if !found {
		t.Errorf("no cause names the bad port: %+v", st.Details.Causes)
	}
}

func TestHugeBodyIs413(t *testing.T) {
	e := newEnv(t)
	body := bytes.Repeat([]byte("a"), 10<<20)
	st := e.do("POST", e.vmPath(), "application/json", body).must(t, 413).status(t)
	if st.Reason != "RequestEntityTooLarge" {
		t.Errorf("reason %q", st.Reason)
	}
	e.do("GET", "/readyz", "", nil).must(t, 200)
}
