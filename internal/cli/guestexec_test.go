package cli

import (
	"bytes"
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"vigil.dev/vigil/internal/apiserver"
)

func TestGuestExecPassesExitCodeAndStreams(t *testing.T) {
	n := &echoNode{result: apiserver.GuestExecResult{ExitCode: 3, Stdout: "out\n", Stderr: "err\n"}}
	server := serveNodeAPI(t, n)
	r := runNode(context.Background(), server, nil, &bytes.Buffer{},
		"guest-exec", "vm1", "--timeout", "5s", "--", "sh", "-c", "echo out; echo err >&2; exit 3")
	if r.code() != 3 || r.stdout != "out\n" || r.stderr != "err\n" {
		t.Errorf("code %d, stdout %q, stderr %q (%v)", r.code(), r.stdout, r.stderr, r.err)
	}
	if !slices.Equal(n.execArgv, []string{"sh", "-c", "echo out; echo err >&2; exit 3"}) || n.execTime != 5*time.Second {
		t.Errorf("node got %q with timeout %v", n.execArgv, n.execTime)
	}

	n.result = apiserver.GuestExecResult{Stdout: "vm1\n", Truncated: true}
	r = runNode(context.Background(), server, nil, &bytes.Buffer{}, "guest-exec", "vm1", "--", "hostname")
	if r.code() != 0 || r.stdout != "vm1\n" || !strings.Contains(r.stderr, `Warning: the guest agent cut the output of "hostname" short`) {
		t.Errorf("code %d, stdout %q, stderr %q", r.code(), r.stdout, r.stderr)
	}
	if n.execTime != 30*time.Second {
		t.Errorf("default timeout %v", n.execTime)
	}
}

func TestGuestExecErrors(t *testing.T) {
	server := serveNodeAPI(t, &echoNode{})
	cases := []struct {
		args   []string
		stderr string // expected in the printed error
		err    string // expected in the returned error
	}{
		{[]string{"guest-exec", "vm1", "-n", "other", "--", "true"}, `Error from server (NotFound): virtualmachineinstances.kubevirt.io "vm1" not found`, ""},
		{[]string{"guest-exec", "vm1", "--"}, "", `guest-exec in VMI "vm1": no command given after --`},
		{[]string{"guest-exec", "vm1", "vm2", "--", "true"}, "", "exactly one VMI name before --"},
		{[]string{"guest-exec", "vm1", "--timeout", "0s", "--", "true"}, "", "--timeout: must be positive"},
		{[]string{"guest-exec", "vm1", "--timeout", "2h", "--", "true"}, "timeoutSeconds: Invalid value: 7200: must be at most 3600", ""},
	}
	for _, tc := range cases {
		r := runNode(context.Background(), server, nil, &bytes.Buffer{}, tc.args...)
		if r.code() == 0 {
			t.Errorf("%q succeeded", tc.args)
			continue
		}
		if !strings.Contains(r.stderr, tc.stderr) || (tc.err != "" && !strings.Contains(r.err.Error(), tc.err)) {
			t.Errorf("%q: stderr %q, error %v", tc.args, r.stderr, r.err)
		}
	}
}

func TestExitStatus(t *testing.T) {
	for code, want := range map[int]int{1: 1, 3: 3, 255: 255, 256: 255, -1: 255} {
		if got := exitStatus(code); got != want {
			t.Errorf("exitStatus(%d) = %d, want %d", code, got, want)
		}
	}
}
