package cli

import (
	"errors"
	"strings"
	"testing"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

func TestPauseAndUnpauseSendKubeVirtsSubresource(t *testing.T) {
	f := newFakeAPI(t)
	tests := []struct {
		args []string
		path string
		body string
		out  string
	}{
		{[]string{"pause", "vmi", "a", "-n", "prod"},
			"/apis/subresources.kubevirt.io/v1/namespaces/prod/virtualmachineinstances/a/pause", `{}`, "VMI a was scheduled to pause\n"},
		// vm acts on the VM's instance, as virtctl's does.
		{[]string{"unpause", "vm", "b", "--dry-run"},
			"/apis/subresources.kubevirt.io/v1/namespaces/default/virtualmachineinstances/b/unpause", `{"dryRun":["All"]}`,
			"VMI b was scheduled to unpause\n"},
	}
	for _, tt := range tests {
		f.mu.Lock()
		f.reqs = nil
		f.mu.Unlock()
		res := run(t, f, "", tt.args...)
		if res.err != nil || res.stdout != tt.out {
			t.Errorf("%v: %v %q %q", tt.args, res.err, res.stdout, res.stderr)
			continue
		}
		f.mu.Lock()
		reqs := f.reqs
		f.mu.Unlock()
		if len(reqs) != 1 || reqs[0].Method != "PUT" || reqs[0].Path != tt.path || string(reqs[0].Body) != tt.body {
			t.Errorf("%v: requests %+v", tt.args, reqs)
		}
	}
}

func TestPauseRefusals(t *testing.T) {
	f := newFakeAPI(t)
	f.reject = func(method, path string, _ []byte) (int, any, bool) {
		forbidden := apierrors.NewForbidden(schema.GroupResource{Group: "kubevirt.io", Resource: "virtualmachineinstance"}, "a",
			errors.New("Pausing VMIs with LivenessProbe is currently not supported"))
		return 403, forbidden.ErrStatus, strings.HasSuffix(path, "/pause")
	}
	res := run(t, f, "", "pause", "vmi", "a")
	if res.code() != 1 || !strings.Contains(res.stderr, "Pausing VMIs with LivenessProbe is currently not supported") {
		t.Errorf("refused pause: code %d, stderr %q", res.code(), res.stderr)
	}
	for _, args := range [][]string{{"pause", "svc", "a"}, {"unpause", "vmi"}, {"pause", "nosuch", "a"}} {
		if res := run(t, f, "", args...); res.err == nil {
			t.Errorf("%v: accepted", args)
		}
	}
}
