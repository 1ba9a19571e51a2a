package cli

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/util/validation/field"

	v1 "vigil.dev/vigil/api/v1"
	"vigil.dev/vigil/internal/resource"
)

func vmYAML(name string) string {
	return `apiVersion: kubevirt.io/v1
kind: VirtualMachine
metadata:
  name: ` + name + `
spec:
  runStrategy: Halted
  template:
    spec:
      domain:
        devices: {}
`
}

const svcYAML = `apiVersion: v1
kind: Service
metadata:
  name: web
  namespace: other
spec:
  selector:
    app: web
  ports:
  - port: 80
`

func TestCreateEachDocumentInOrder(t *testing.T) {
	f := newFakeAPI(t)
	res := run(t, f, vmYAML("a")+"---\n"+svcYAML, "create", "-f", "-")
	if res.err != nil {
		t.Fatalf("err %v, stderr %s", res.err, res.stderr)
	}
	want := "virtualmachine.kubevirt.io/a created\nservice/web created\n"
	if res.stdout != want {
		t.Errorf("stdout %q, want %q", res.stdout, want)
	}
	posts := f.requests("POST")
	if len(posts) != 2 || posts[0].Path != "/apis/kubevirt.io/v1/namespaces/default/virtualmachines" ||
		posts[1].Path != "/api/v1/namespaces/other/services" {
		t.Fatalf("requests %+v", posts)
	}
	if f.object(resource.VirtualMachines, "default", "a") == nil || f.object(resource.Services, "other", "web") == nil {
		t.Error("objects not stored")
	}
}

func TestCreateNamespaceFlagAndFiles(t *testing.T) {
	f := newFakeAPI(t)
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "b.yaml"), []byte(vmYAML("b")), 0o600)
	os.WriteFile(filepath.Join(dir, "a.json"), []byte(`{"apiVersion":"kubevirt.io/v1","kind":"VirtualMachine","metadata":{"name":"a"},"spec":{"template":{"spec":{"domain":{"devices":{}}}}}}`), 0o600)
	os.WriteFile(filepath.Join(dir, "notes.txt"), []byte("not a manifest"), 0o600)
	res := run(t, f, "", "create", "-f", dir, "-n", "prod")
	if res.err != nil {
		t.Fatalf("err %v, stderr %s", res.err, res.stderr)
	}
	if res.stdout != "virtualmachine.kubevirt.io/a created\nvirtualmachine.kubevirt.io/b created\n" {
		t.Errorf("stdout %q", res.stdout)
	}
	if f.object(resource.VirtualMachines, "prod", "a") == nil || f.object(resource.VirtualMachines, "prod", "b") == nil {
		t.Error("objects not created in -n prod")
	}
	// An object naming another namespace than an explicit -n is refused before anything is sent.
	res = run(t, f, svcYAML, "create", "-f", "-", "-n", "prod")
	if res.code() != 1 || !strings.Contains(res.stderr, `does not match the namespace "prod"`) {
		t.Errorf("namespace mismatch: exit %d, stderr %q", res.code(), res.stderr)
	}
}

func TestCreateDecodeErrorCreatesNothing(t *testing.T) {
	f := newFakeAPI(t)
	bad := strings.Replace(vmYAML("bad"), "  name: bad\n", "  name: bad\n  nme: typo\n  colour: blue\n", 1)
	res := run(t, f, vmYAML("good")+"---\n"+bad, "create", "-f", "-")
	if res.code() != 1 {
		t.Fatalf("exit %d, stderr %s", res.code(), res.stderr)
	}
	if n := len(f.requests("POST")); n != 0 {
		t.Fatalf("%d objects sent although a document did not decode", n)
	}
	for _, want := range []string{
		"error: error decoding STDIN: document 2 (line 12): metadata.colour: unknown field",
		"error: error decoding STDIN: document 2 (line 12): metadata.nme: unknown field",
	} {
		if !strings.Contains(res.stderr, want+"\n") {
			t.Errorf("stderr lacks %q:\n%s", want, res.stderr)
		}
	}
	if res.stdout != "" {
		t.Errorf("stdout %q", res.stdout)
	}
	// Malformed YAML is named too.
	res = run(t, f, "apiVersion: v1\nkind: [unclosed\n", "create", "-f", "-")
	if res.code() != 1 || !strings.Contains(res.stderr, "STDIN: document 1 (line 1)") {
		t.Errorf("malformed: exit %d, stderr %q", res.code(), res.stderr)
	}
	res = run(t, f, "", "create", "-f", filepath.Join(t.TempDir(), "missing.yaml"))
	if res.code() != 1 || !strings.Contains(res.stderr, "missing.yaml") {
		t.Errorf("missing file: exit %d, stderr %q", res.code(), res.stderr)
	}
}

func TestCreateInvalidPrintsOneCausePerLine(t *testing.T) {
	f := newFakeAPI(t)
	f.reject = func(method, path string, body []byte) (int, any, bool) {
		if method != "POST" || !strings.Contains(string(body), `"name":"bad"`) {
			return 0, nil, false
		}
		err := apierrors.NewInvalid(v1.VirtualMachineGroupVersionKind.GroupKind(), "bad", field.ErrorList{
			field.Invalid(field.NewPath("spec", "template", "spec", "readinessProbe", "periodSeconds"), 10, "must be greater than timeoutSeconds (10)"),
			field.Invalid(field.NewPath("spec", "runStrategy"), "Sometimes", "Invalid RunStrategy (Sometimes)"),
		})
		return 422, err.ErrStatus, true
	}
	res := run(t, f, vmYAML("bad")+"---\n"+vmYAML("next"), "create", "-f", "-")
	if res.code() != 1 {
		t.Fatalf("exit %d", res.code())
	}
	want := `The VirtualMachine "bad" is invalid: ` + "\n" +
		"* spec.template.spec.readinessProbe.periodSeconds: Invalid value: 10: must be greater than timeoutSeconds (10)\n" +
		`* spec.runStrategy: Invalid value: "Sometimes": Invalid RunStrategy (Sometimes)` + "\n"
	if res.stderr != want {
		t.Errorf("stderr:\n%s\nwant:\n%s", res.stderr, want)
	}
	if res.stdout != "virtualmachine.kubevirt.io/next created\n" {
		t.Errorf("the next document was not created: %q", res.stdout)
	}
}

func TestCreateOtherErrorsAndWarnings(t *testing.T) {
	f := newFakeAPI(t)
	f.warnings = []string{"spec.running is deprecated, please use spec.runStrategy instead."}
	if res := run(t, f, vmYAML("a"), "create", "-f", "-"); res.err != nil ||
		res.stderr != "Warning: spec.running is deprecated, please use spec.runStrategy instead.\n" {
		t.Fatalf("first create: %v, stderr %q", res.err, res.stderr)
	}
	f.warnings = nil
	res := run(t, f, vmYAML("a"), "create", "-f", "-")
	want := `Error from server (AlreadyExists): error when creating "STDIN": virtualmachines.kubevirt.io "a" already exists` + "\n"
	if res.code() != 1 || res.stderr != want {
		t.Errorf("exit %d, stderr %q, want %q", res.code(), res.stderr, want)
	}
}

func TestCreateUnreachableDaemon(t *testing.T) {
	root := newTestRoot()
	sock := filepath.Join(t.TempDir(), "none.sock")
	root.SetArgs([]string{"create", "-f", "-", "--server", "unix://" + sock})
	root.SetIn(strings.NewReader(vmYAML("a") + "---\n" + vmYAML("b")))
	var out, errb strings.Builder
	root.SetOut(&out)
	root.SetErr(&errb)
	err := root.Execute()
	var ee *ExitError
	if !errors.As(err, &ee) || ee.Code != 1 {
		t.Fatalf("err %v", err)
	}
	if strings.Count(errb.String(), "cannot reach the vigil daemon at unix://"+sock) != 1 ||
		!strings.Contains(errb.String(), "(is `vigil serve` running?)") {
		t.Errorf("stderr %q", errb.String())
	}
}
