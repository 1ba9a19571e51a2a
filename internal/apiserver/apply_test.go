package apiserver

import (
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	v1 "vigil.dev/vigil/api/v1"
)

// vmConfig is an apply configuration of a VM with the given labels.
func vmConfig(name string, labels string) string {
	return `apiVersion: kubevirt.io/v1
kind: VirtualMachine
metadata:
  name: ` + name + `
  labels: {` + labels + `}
spec:
  runStrategy: Halted
  template:
    spec:
      domain:
        firmware:
          kernelBoot:
            container:
              image: tiny
`
}

func managerOf(vm metav1.Object, manager string) *metav1.ManagedFieldsEntry {
	for _, m := range vm.GetManagedFields() {
		if m.Manager == manager {
			return &m
		}
	}
	return nil
}

func TestApplyCreatesThenRemovesWhatWasDropped(t *testing.T) {
	e := newEnv(t)
	var vm v1.VirtualMachine
	e.do("PATCH", e.vmPath("a")+"?fieldManager=test", applyPatch, vmConfig("a", "app: a, tier: web")).must(t, 201).into(t, &vm)
	if vm.Labels["tier"] != "web" || vm.UID == "" || vm.Generation != 1 {
		t.Fatalf("created %+v", vm.ObjectMeta)
	}
	m := managerOf(&vm, "test")
	if m == nil || m.Operation != metav1.ManagedFieldsOperationApply || !strings.Contains(string(m.FieldsV1.Raw), `"f:tier"`) {
		t.Fatalf("managed fields %+v", vm.ManagedFields)
	}
	// A label added by someone else survives the next apply; the one the
	// manager dropped from its configuration goes.
	e.do("PATCH", e.vmPath("a"), mergePatch, `{"metadata":{"labels":{"other":"kept"}}}`).must(t, 200)
	var second v1.VirtualMachine
	e.do("PATCH", e.vmPath("a")+"?fieldManager=test", applyPatch, vmConfig("a", "app: a")).must(t, 200).into(t, &second)
	if _, ok := second.Labels["tier"]; ok || second.Labels["other"] != "kept" || second.Labels["app"] != "a" {
		t.Errorf("labels after the second apply: %v", second.Labels)
	}
	if second.Generation != 1 {
		t.Errorf("a metadata-only apply moved generation to %d", second.Generation)
	}
	// The same configuration again changes nothing.
	var third v1.VirtualMachine
	e.do("PATCH", e.vmPath("a")+"?fieldManager=test", applyPatch, vmConfig("a", "app: a")).must(t, 200).into(t, &third)
	if third.ResourceVersion != second.ResourceVersion {
		t.Errorf("a no-op apply wrote the object: resourceVersion %s -> %s", second.ResourceVersion, third.ResourceVersion)
	}
}

func TestApplyConflictsAndForce(t *testing.T) {
	e := newEnv(t)
	e.do("PATCH", e.vmPath("c")+"?fieldManager=first", applyPatch, vmConfig("c", "app: c")).must(t, 201)
	st := e.do("PATCH", e.vmPath("c")+"?fieldManager=second", applyPatch, vmConfig("c", "app: other")).must(t, 409).status(t)
	if st.Details == nil || len(st.Details.Causes) == 0 || !strings.Contains(st.Message, `conflict with "first"`) {
		t.Fatalf("conflict %+v", st)
	}
	var forced, vm v1.VirtualMachine
	e.do("PATCH", e.vmPath("c")+"?fieldManager=second&force=true", applyPatch, vmConfig("c", "app: other")).must(t, 200).into(t, &forced)
	// The label moved to the forcing manager; fields both applied with the
	// same value stay shared.
	first := managerOf(&forced, "first")
	if forced.Labels["app"] != "other" || first == nil || strings.Contains(string(first.FieldsV1.Raw), "f:app") ||
		!strings.Contains(string(first.FieldsV1.Raw), "f:runStrategy") {
		t.Errorf("forced apply: %v, managers %+v", forced.Labels, forced.ManagedFields)
	}
	// Writers other than appliers are tracked once the object has been
	// applied: their change makes them owners, and an applier that wants
	// the field back conflicts with them.
	e.do("PATCH", e.vmPath("c")+"?fieldManager=editor", mergePatch, `{"spec":{"runStrategy":"Manual"}}`).must(t, 200).into(t, &vm)
	if m := managerOf(&vm, "editor"); m == nil || m.Operation != metav1.ManagedFieldsOperationUpdate || !strings.Contains(string(m.FieldsV1.Raw), "f:runStrategy") {
		t.Fatalf("the editor's update was not tracked: %+v", vm.ManagedFields)
	}
	st = e.do("PATCH", e.vmPath("c")+"?fieldManager=second", applyPatch, vmConfig("c", "app: other")).must(t, 409).status(t)
	if !strings.Contains(st.Message, `conflict with "editor"`) || !strings.Contains(st.Message, ".spec.runStrategy") {
		t.Errorf("conflict with the editor: %s", st.Message)
	}
}

func TestApplyRefusals(t *testing.T) {
	e := newEnv(t)
	cfg := vmConfig("r", "app: r")
	e.do("PATCH", e.vmPath("r"), applyPatch, cfg).must(t, 400)
	e.do("PATCH", e.vmPath("other")+"?fieldManager=t", applyPatch, cfg).must(t, 400)
	e.do("PATCH", e.vmPath("r")+"?fieldManager=t&force=maybe", applyPatch, cfg).must(t, 400)
	e.do("PATCH", e.vmPath("r")+"?fieldManager=t", applyPatch, "metadata:\n  name: r\n").must(t, 400)
	typo := strings.Replace(cfg, "runStrategy:", "runStrategyy:", 1)
	st := e.do("PATCH", e.vmPath("r")+"?fieldManager=t", applyPatch, typo).must(t, 422).status(t)
	if st.Details.Causes[0].Field != "spec.runStrategyy" {
		t.Errorf("causes %+v", st.Details.Causes)
	}
	// Invalid after the merge: the registry's validation answers.
	bad := strings.Replace(cfg, "runStrategy: Halted", "runStrategy: Sometimes", 1)
	e.do("PATCH", e.vmPath("r")+"?fieldManager=t", applyPatch, bad).must(t, 422)
	e.do("GET", e.vmPath("r"), "", nil).must(t, 404)
	// Warn drops the unknown field, says so, and applies the rest.
	r := e.do("PATCH", e.vmPath("r")+"?fieldManager=t&fieldValidation=Warn", applyPatch, typo).must(t, 201)
	if w := r.header.Get("Warning"); !strings.Contains(w, `unknown field \"spec.runStrategyy\"`) {
		t.Errorf("warning %q", w)
	}
	// A dry run stores nothing.
	e.do("PATCH", e.vmPath("dry")+"?fieldManager=t&dryRun=All", applyPatch, vmConfig("dry", "")).must(t, 201)
	e.do("GET", e.vmPath("dry"), "", nil).must(t, 404)
}

func TestApplyServiceMergesPortsByKey(t *testing.T) {
	e := newEnv(t)
	cfg := func(ports string) string {
		return "apiVersion: v1\nkind: Service\nmetadata:\n  name: web\nspec:\n  selector: {app: web}\n  ports:\n" + ports
	}
	two := "  - {name: http, port: 80}\n  - {name: dns, port: 53, protocol: UDP}\n"
	var svc corev1.Service
	e.do("PATCH", e.corePath("services", "web")+"?fieldManager=test", applyPatch, cfg(two)).must(t, 201).into(t, &svc)
	if len(svc.Spec.Ports) != 2 || svc.Spec.ClusterIP == "" || svc.Spec.Ports[0].Protocol != corev1.ProtocolTCP {
		t.Fatalf("created %+v", svc.Spec)
	}
	// Another manager adds a port of its own; the first drops dns.
	e.do("PATCH", e.corePath("services", "web")+"?fieldManager=other", applyPatch,
		cfg("  - {name: metrics, port: 9100}\n")).must(t, 200)
	e.do("PATCH", e.corePath("services", "web")+"?fieldManager=test", applyPatch, cfg("  - {name: http, port: 80}\n")).must(t, 200).into(t, &svc)
	var got []string
	for _, p := range svc.Spec.Ports {
		got = append(got, p.Name)
	}
	if strings.Join(got, ",") != "http,metrics" {
		t.Errorf("ports %v, want http and metrics", got)
	}
}

func TestApplyStatusLeavesSpecAlone(t *testing.T) {
	e := newEnv(t)
	e.do("PATCH", e.vmPath("s")+"?fieldManager=user", applyPatch, vmConfig("s", "app: s")).must(t, 201)
	status := "apiVersion: kubevirt.io/v1\nkind: VirtualMachine\nmetadata:\n  name: s\nspec:\n  runStrategy: Always\nstatus:\n  printableStatus: Running\n"
	var vm v1.VirtualMachine
	e.do("PATCH", e.vmPath("s", "status")+"?fieldManager=ctl", applyPatch, status).must(t, 200).into(t, &vm)
	if vm.Status.PrintableStatus != "Running" || *vm.Spec.RunStrategy != v1.RunStrategyHalted {
		t.Errorf("status apply: printable %q, runStrategy %s", vm.Status.PrintableStatus, *vm.Spec.RunStrategy)
	}
	if m := managerOf(&vm, "ctl"); m == nil || m.Subresource != "status" {
		t.Errorf("managed fields %+v", vm.ManagedFields)
	}
	e.do("PATCH", e.vmPath("missing", "status")+"?fieldManager=ctl", applyPatch, strings.Replace(status, "name: s", "name: missing", 1)).must(t, 404)
}
