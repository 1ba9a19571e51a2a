package apiserver

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
)

func TestGuestExecPassesTheResultOn(t *testing.T) {
	e, node := newNodeEnv(t, true)
	node.exec = func(argv []string, _ time.Duration) (*GuestExecResult, error) {
		return &GuestExecResult{ExitCode: 3, Stdout: "out\n", Stderr: "err\n"}, nil
	}
	r := e.do("POST", e.subPath("vm1", "guestexec"), "application/json",
		`{"command":["sh","-c","echo out; echo err >&2; exit 3"]}`).must(t, 200)
	if got := strings.TrimSpace(string(r.body)); got != `{"exitCode":3,"stdout":"out\n","stderr":"err\n"}` {
		t.Errorf("body %s", got)
	}
	if !slices.Equal(node.execArgv, []string{"sh", "-c", "echo out; echo err >&2; exit 3"}) {
		t.Errorf("argv %q", node.execArgv)
	}
	if node.execTime != DefaultGuestExecTimeout {
		t.Errorf("timeout %v, want the default", node.execTime)
	}

	e.do("POST", e.subPath("vm1", "guestexec"), "", `{"command":["true"],"timeoutSeconds":5}`).must(t, 200)
	if node.execTime != 5*time.Second {
		t.Errorf("timeout %v, want 5s", node.execTime)
	}
}

func TestGuestExecPassesNodeErrorsOn(t *testing.T) {
	cases := []struct {
		name   string
		err    error
		code   int
		reason string
	}{
		{"no agent", apierrors.NewServiceUnavailable("guest agent is not connected"), 503, "ServiceUnavailable"},
		{"not running", apierrors.NewConflict(vmiGR(), "vm1", errNotRunning), 409, "Conflict"},
		{"timeout", apierrors.NewTimeoutError("the command did not end within 5s", 0), 504, "Timeout"},
		{"deadline", context.DeadlineExceeded, 504, "Timeout"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e, node := newNodeEnv(t, true)
			node.exec = func([]string, time.Duration) (*GuestExecResult, error) { return nil, tc.err }
			st := e.do("POST", e.subPath("vm1", "guestexec"), "", `{"command":["true"]}`).must(t, tc.code).status(t)
			if string(st.Reason) != tc.reason {
				t.Errorf("reason %q, want %q", st.Reason, tc.reason)
			}
		})
	}
}

func TestGuestExecRejectsBadBodies(t *testing.T) {
	e, node := newNodeEnv(t, true)
	node.exec = func([]string, time.Duration) (*GuestExecResult, error) {
		t.Error("a bad request reached the node")
		return &GuestExecResult{}, nil
	}
	cases := []struct {
		body  string
		code  int
		field string // the cause's field, for 422
		text  string
	}{
		{`{"command":`, 400, "", "not valid JSON"},
		{`{} {}`, 400, "", "more than one JSON value"},
		{``, 422, "command", "Required value"},
		{`{"command":[]}`, 422, "command", "Required value"},
		{`{"command":"uptime"}`, 422, "command", "must be an array, not string"},
		{`{"command":[""]}`, 422, "command[0]", "must not be empty"},
		{`{"command":["true"],"timeoutSeconds":"5"}`, 422, "timeoutSeconds", "must be an integer, not string"},
		{`{"command":["true"],"timeoutSeconds":-1}`, 422, "timeoutSeconds", "must not be negative"},
		{`{"command":["true"],"timeoutSeconds":3601}`, 422, "timeoutSeconds", "must be at most 3600"},
		{`{"command":["true"],"timeout":5}`, 422, "timeout", "Unsupported value"},
	}
	for _, tc := range cases {
		st := e.do("POST", e.subPath("vm1", "guestexec"), "", tc.body).must(t, tc.code).status(t)
		if !strings.Contains(st.Message, tc.text) {
			t.Errorf("%s: message %q lacks %q", tc.body, st.Message, tc.text)
		}
		if tc.code != 422 {
			continue
		}
		if st.Details == nil || len(st.Details.Causes) != 1 || st.Details.Causes[0].Field != tc.field {
			t.Errorf("%s: details %+v, want one cause on %s", tc.body, st.Details, tc.field)
		}
	}
}
