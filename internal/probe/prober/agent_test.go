package prober

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"vigil.dev/vigil/internal/qga"
)

// fakeAgent answers as told; a nil status with a nil error waits for ctx,
// as a command that never ends does.
type fakeAgent struct {
	pingErr  error
	pingWait bool
	status   *qga.ExecStatus
	runErr   error
	argv     []string
	max      int
}

func (f *fakeAgent) Ping(ctx context.Context) error {
	if f.pingWait {
		<-ctx.Done()
		return fmt.Errorf("qga: guest-ping: %w", qga.ErrTimeout)
	}
	return f.pingErr
}

func (f *fakeAgent) Run(ctx context.Context, argv []string, maxOutput int) (*qga.ExecStatus, error) {
	f.argv, f.max = argv, maxOutput
	if f.status == nil && f.runErr == nil {
		<-ctx.Done()
		return nil, fmt.Errorf("qga: run %s: guest pid 7 still running: %w", argv[0], qga.ErrTimeout)
	}
	return f.status, f.runErr
}

func agentOf(a Agent) func() (Agent, error) { return func() (Agent, error) { return a, nil } }

func noAgent() (Agent, error) { return nil, errors.New("vmi default/a has no guest agent channel") }

func TestGuestAgentPing(t *testing.T) {
	cases := []struct {
		name   string
		agent  func() (Agent, error)
		result Result
		output string
	}{
		{"answered", agentOf(&fakeAgent{}), Success, ""},
		{"no agent", noAgent, Failure, "guest agent unavailable: vmi default/a has no guest agent channel"},
		{"nobody on the channel", agentOf(&fakeAgent{pingErr: fmt.Errorf("qga: connect: %w", qga.ErrAgentUnavailable)}),
			Failure, "no agent on the channel"},
		{"closed", agentOf(&fakeAgent{pingErr: qga.ErrClosed}), Failure, "channel closed"},
		{"error reply", agentOf(&fakeAgent{pingErr: &qga.Error{Command: "guest-ping", Class: "GenericError", Desc: "frozen"}}),
			Failure, "error reply GenericError: frozen"},
		{"timeout", agentOf(&fakeAgent{pingWait: true}), Failure, "no answer before the timeout"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			want(t, run(t, NewGuestAgentPing(c.agent), 50*time.Millisecond), c.result, c.output)
		})
	}
}

func TestGuestAgentPingCanceledIsUnknown(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	a := &fakeAgent{pingErr: fmt.Errorf("qga: guest-ping: %w", context.Canceled)}
	want(t, NewGuestAgentPing(agentOf(a)).Probe(ctx), Unknown, "canceled")
}

func TestExec(t *testing.T) {
	cases := []struct {
		name   string
		agent  *fakeAgent
		result Result
		output string
	}{
		{"exit 0", &fakeAgent{status: &qga.ExecStatus{Exited: true, Stdout: []byte("ready\n")}}, Success, "ready\n"},
		{"exit 1 with output", &fakeAgent{status: &qga.ExecStatus{Exited: true, ExitCode: 1,
			Stdout: []byte("checking\n"), Stderr: []byte("not ready\n")}}, Failure, "checking\nnot ready\n"},
		{"exit 3 silent", &fakeAgent{status: &qga.ExecStatus{Exited: true, ExitCode: 3}}, Failure, "command exited with code 3"},
		{"signal", &fakeAgent{status: &qga.ExecStatus{Exited: true, Signal: 9}}, Failure, "command killed by signal 9"},
		{"timeout", &fakeAgent{}, Failure, `command timed out: ["cat" "/tmp/ready"]`},
		{"agent error", &fakeAgent{runErr: &qga.Error{Command: "guest-exec", Class: "GenericError", Desc: "no such file"}},
			Failure, "exec probe: error reply GenericError: no such file"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := run(t, NewExec(agentOf(c.agent), []string{"cat", "/tmp/ready"}), 50*time.Millisecond)
			want(t, got, c.result, c.output)
			if strings.Join(c.agent.argv, " ") != "cat /tmp/ready" || c.agent.max != MaxOutput {
				t.Errorf("Run got argv %q max %d", c.agent.argv, c.agent.max)
			}
		})
	}
}

func TestExecOutputIsBounded(t *testing.T) {
	big := []byte(strings.Repeat("o", MaxOutput))
	a := &fakeAgent{status: &qga.ExecStatus{Exited: true, ExitCode: 1, Stdout: big, Stderr: big}}
	got := run(t, NewExec(agentOf(a), []string{"check"}), probeTimeout)
	if got.Result != Failure || len(got.Output) != MaxOutput {
		t.Fatalf("outcome %v with %d bytes, want Failure with %d", got.Result, len(got.Output), MaxOutput)
	}
}

func TestExecWithoutAgentOrCommand(t *testing.T) {
	want(t, run(t, NewExec(noAgent, []string{"true"}), probeTimeout), Failure, "guest agent unavailable")
	want(t, run(t, NewExec(agentOf(&fakeAgent{}), nil), probeTimeout), Unknown, "exec.command is empty")
}

func TestExecCopiesCommand(t *testing.T) {
	cmd := []string{"cat", "/tmp/ready"}
	a := &fakeAgent{status: &qga.ExecStatus{Exited: true}}
	p := NewExec(agentOf(a), cmd)
	cmd[0] = "rm"
	run(t, p, probeTimeout)
	if a.argv[0] != "cat" {
		t.Errorf("the prober ran %q: it kept the caller's slice", a.argv)
	}
}
