package cli

import (
	"errors"
	"path/filepath"
	"strings"
	"testing"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"vigil.dev/vigil/internal/resource"
)

func TestDeleteByNameAndFile(t *testing.T) {
	f := newFakeAPI(t)
	seedVM(f, "default", "a", "Running", true)
	seedVM(f, "default", "b", "Running", true)
	res := run(t, f, "", "delete", "vm", "a", "nope")
	if res.code() != 1 || res.stdout != `virtualmachine.kubevirt.io "a" deleted`+"\n" ||
		res.stderr != `Error from server (NotFound): virtualmachines.kubevirt.io "nope" not found`+"\n" {
		t.Fatalf("exit %d, stdout %q, stderr %q", res.code(), res.stdout, res.stderr)
	}
	if f.object(resource.VirtualMachines, "default", "a") != nil {
		t.Error("a still stored")
	}
	del := f.requests("DELETE")[0]
	if !strings.Contains(string(del.Body), `"propagationPolicy":"Background"`) {
		t.Errorf("delete body %s", del.Body)
	}
	res = run(t, f, "", "delete", "vm/nope", "--ignore-not-found")
	if res.err != nil || res.stdout != "" || res.stderr != "" {
		t.Errorf("--ignore-not-found: %v %q %q", res.err, res.stdout, res.stderr)
	}
	res = run(t, f, vmYAML("b"), "delete", "-f", "-")
	if res.err != nil || res.stdout != `virtualmachine.kubevirt.io "b" deleted`+"\n" {
		t.Errorf("delete -f: %v %q %q", res.err, res.stdout, res.stderr)
	}
	if res := run(t, f, "", "delete", "vm"); res.err == nil || !strings.Contains(res.err.Error(), "name the virtualmachines") {
		t.Errorf("delete without a name: %v", res.err)
	}
}

func TestStartStopRestart(t *testing.T) {
	f := newFakeAPI(t)
	for _, action := range []string{"start", "stop", "restart"} {
		res := run(t, f, "", action, "myvm", "-n", "prod")
		if res.err != nil || res.stdout != "VM myvm was scheduled to "+action+"\n" {
			t.Errorf("%s: %v %q %q", action, res.err, res.stdout, res.stderr)
		}
		puts := f.requests("PUT")
		if p := puts[len(puts)-1].Path; p != "/apis/subresources.kubevirt.io/v1/namespaces/prod/virtualmachines/myvm/"+action {
			t.Errorf("%s path %s", action, p)
		}
	}
	f.reject = func(method, path string, body []byte) (int, any, bool) {
		err := apierrors.NewConflict(schema.GroupResource{Group: "kubevirt.io", Resource: "virtualmachine"}, "myvm",
			errors.New("Always does not support manual start requests"))
		return 409, err.ErrStatus, true
	}
	res := run(t, f, "", "start", "myvm")
	want := `Error from server (Conflict): Operation cannot be fulfilled on virtualmachine.kubevirt.io "myvm": Always does not support manual start requests` + "\n"
	if res.code() != 1 || res.stdout != "" || res.stderr != want {
		t.Errorf("refusal: exit %d, stdout %q, stderr %q", res.code(), res.stdout, res.stderr)
	}
}

func TestVersion(t *testing.T) {
	f := newFakeAPI(t)
	Version = "v1.2.3"
	defer func() { Version = "" }()
	res := run(t, f, "", "version")
	if res.err != nil || res.stdout != "Client Version: v1.2.3\nServer Version: v0.9.0-fake\n" {
		t.Errorf("version: %v %q", res.err, res.stdout)
	}
	root := newTestRoot()
	root.SetArgs([]string{"version", "--server", "unix://" + filepath.Join(t.TempDir(), "none.sock")})
	var out, errb strings.Builder
	root.SetOut(&out)
	root.SetErr(&errb)
	if err := root.Execute(); err != nil || out.String() != "Client Version: v1.2.3\n" ||
		!strings.HasPrefix(errb.String(), "Server Version: unavailable (cannot reach the vigil daemon") {
		t.Errorf("unreachable server: %v %q %q", err, out.String(), errb.String())
	}
}

func TestCompletionScripts(t *testing.T) {
	for _, shell := range []string{"bash", "zsh", "fish"} {
		root := newTestRoot()
		root.SetArgs([]string{"completion", shell})
		var out strings.Builder
		root.SetOut(&out)
		if err := root.Execute(); err != nil || !strings.Contains(out.String(), "vigil") {
			t.Errorf("%s: %v, %d bytes", shell, err, out.Len())
		}
	}
}

func TestRootHasEveryClientCommand(t *testing.T) {
	root := NewRootCommand()
	for _, name := range []string{"create", "apply", "delete", "get", "describe", "start", "stop", "restart", "wait", "version", "completion"} {
		if c, _, err := root.Find([]string{name}); err != nil || c.Name() != name {
			t.Errorf("no %s command: %v", name, err)
		}
	}
	for _, flag := range []string{"server", "token", "certificate-authority", "insecure-skip-tls-verify", "namespace", "request-timeout"} {
		if root.PersistentFlags().Lookup(flag) == nil {
			t.Errorf("no global --%s", flag)
		}
	}
}

func TestFormatError(t *testing.T) {
	gr := schema.GroupResource{Group: "kubevirt.io", Resource: "virtualmachines"}
	cases := []struct {
		err     error
		context string
		want    string
	}{
		{apierrors.NewNotFound(gr, "a"), "", `Error from server (NotFound): virtualmachines.kubevirt.io "a" not found`},
		{apierrors.NewAlreadyExists(gr, "a"), `error when creating "vm.yaml"`,
			`Error from server (AlreadyExists): error when creating "vm.yaml": virtualmachines.kubevirt.io "a" already exists`},
		{errors.New("boom"), "", "error: boom"},
		{apierrors.NewInternalError(errors.New("disk full")), "", "Error from server (InternalError): Internal error occurred: disk full"},
	}
	for _, tc := range cases {
		if got := formatError(tc.err, tc.context); got != tc.want {
			t.Errorf("got  %q\nwant %q", got, tc.want)
		}
	}
}
