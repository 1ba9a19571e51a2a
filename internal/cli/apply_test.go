package cli

import (
	"encoding/json"
	"strings"
	"testing"

	"vigil.dev/vigil/internal/resource"
)

func labelledVM(labels string) string {
	return `apiVersion: kubevirt.io/v1
kind: VirtualMachine
metadata:
  name: a
  labels:
` + labels + `spec:
  runStrategy: Halted
  template:
    spec:
      domain:
        devices: {}
`
}

func TestApplyCreatedConfiguredUnchanged(t *testing.T) {
	f := newFakeAPI(t)
	first := labelledVM("    app: a\n    tier: fe\n")
	res := run(t, f, first, "apply", "-f", "-")
	if res.err != nil || res.stdout != "virtualmachine.kubevirt.io/a created\n" {
		t.Fatalf("first apply: %v %q %q", res.err, res.stdout, res.stderr)
	}
	stored := f.object(resource.VirtualMachines, "default", "a")
	md := stored["metadata"].(map[string]any)
	ann, _ := md["annotations"].(map[string]any)
	var last map[string]any
	if err := json.Unmarshal([]byte(ann[lastAppliedAnnotation].(string)), &last); err != nil {
		t.Fatalf("last-applied annotation %v: %v", ann, err)
	}
	if _, has := last["metadata"].(map[string]any)["annotations"]; has {
		t.Error("the last-applied configuration contains itself")
	}

	res = run(t, f, first, "apply", "-f", "-")
	if res.err != nil || res.stdout != "virtualmachine.kubevirt.io/a unchanged\n" || len(f.requests("PATCH")) != 0 {
		t.Fatalf("second apply: %v %q, %d patches", res.err, res.stdout, len(f.requests("PATCH")))
	}

	// Someone else adds a label; the user drops tier and changes app.
	obj := f.object(resource.VirtualMachines, "default", "a")
	obj["metadata"].(map[string]any)["labels"].(map[string]any)["owner"] = "ops"
	f.put(resource.VirtualMachines, obj)
	res = run(t, f, labelledVM("    app: b\n"), "apply", "-f", "-")
	if res.err != nil || res.stdout != "virtualmachine.kubevirt.io/a configured\n" {
		t.Fatalf("third apply: %v %q %q", res.err, res.stdout, res.stderr)
	}
	patches := f.requests("PATCH")
	if len(patches) != 1 || patches[0].ContentType != "application/merge-patch+json" ||
		patches[0].Path != "/apis/kubevirt.io/v1/namespaces/default/virtualmachines/a" {
		t.Fatalf("patches %+v", patches)
	}
	labels := f.object(resource.VirtualMachines, "default", "a")["metadata"].(map[string]any)["labels"].(map[string]any)
	if labels["app"] != "b" || labels["owner"] != "ops" || labels["tier"] != nil {
		t.Errorf("labels after apply: %v (want app=b, owner kept, tier removed)", labels)
	}
}

func TestWithLastAppliedReplacesAnOldAnnotation(t *testing.T) {
	doc := `{"metadata":{"name":"a","annotations":{"` + lastAppliedAnnotation + `":"old","keep":"x"}}}`
	out, err := withLastApplied([]byte(doc))
	if err != nil {
		t.Fatal(err)
	}
	var m struct {
		Metadata struct{ Annotations map[string]string } `json:"metadata"`
	}
	json.Unmarshal(out, &m)
	got := m.Metadata.Annotations[lastAppliedAnnotation]
	if m.Metadata.Annotations["keep"] != "x" || !strings.Contains(got, `"keep":"x"`) || strings.Contains(got, "old") {
		t.Errorf("annotations %v", m.Metadata.Annotations)
	}
}

func TestApplyOverAnObjectMadeByCreate(t *testing.T) {
	f := newFakeAPI(t)
	doc := labelledVM("    app: a\n")
	if res := run(t, f, doc, "create", "-f", "-"); res.err != nil {
		t.Fatal(res.err)
	}
	res := run(t, f, doc, "apply", "-f", "-")
	if res.err != nil || res.stdout != "virtualmachine.kubevirt.io/a configured\n" ||
		!strings.HasPrefix(res.stderr, "Warning: virtualmachines/a has no "+lastAppliedAnnotation+" annotation") {
		t.Fatalf("%v %q %q", res.err, res.stdout, res.stderr)
	}
	if res := run(t, f, doc, "apply", "-f", "-"); res.stdout != "virtualmachine.kubevirt.io/a unchanged\n" || res.stderr != "" {
		t.Errorf("second apply: %q %q", res.stdout, res.stderr)
	}
}
