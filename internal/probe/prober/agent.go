package prober

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"vigil.dev/vigil/internal/qga"
)

type pingProber struct {
	agent func() (Agent, error)
}

var _ Prober = (*pingProber)(nil)

// NewGuestAgentPing returns a prober that sends guest-ping through the
// agent that agent() returns at each probe (so the caller may connect
// lazily or hand out the VMI's current client). An answer is Success; no
// agent, a closed channel, a timeout or an error reply is Failure with a
// message saying which.
func NewGuestAgentPing(agent func() (Agent, error)) Prober {
	return &pingProber{agent: agent}
}

func (p *pingProber) Probe(ctx context.Context) Outcome {
	a, err := p.agent()
	if err != nil {
		return failure("guest agent unavailable: " + err.Error())
	}
	if err := a.Ping(ctx); err != nil {
		if errors.Is(ctx.Err(), context.Canceled) {
			return unknown("guest agent ping canceled: " + err.Error())
		}
		return failure("guest agent ping failed: " + describeAgentError(err))
	}
	return Outcome{Result: Success}
}

// describeAgentError names the kind of failure first, then the detail.
func describeAgentError(err error) string {
	var reply *qga.Error
	switch {
	case errors.As(err, &reply):
		return fmt.Sprintf("error reply %s: %s", reply.Class, reply.Desc)
	case errors.Is(err, context.DeadlineExceeded):
		return "no answer before the timeout: " + err.Error()
	case errors.Is(err, qga.ErrClosed):
		return "channel closed: " + err.Error()
	case errors.Is(err, qga.ErrAgentUnavailable):
		return "no agent on the channel: " + err.Error()
	case errors.Is(err, qga.ErrProtocol):
		return "protocol error: " + err.Error()
	default:
		return err.Error()
	}
}

type execProber struct {
	agent   func() (Agent, error)
	command []string
}

var _ Prober = (*execProber)(nil)

// NewExec returns a prober that runs command in the guest through the
// agent (guest-exec with captured output, then guest-exec-status until it
// exits). Exit 0 is Success with its stdout; any other end is Failure with
// the captured output (stdout then stderr, at most MaxOutput bytes); the
// deadline passing first is Failure "command timed out: ..." and the guest
// command is left running (the agent cannot kill it). An empty command is
// Unknown: validation should have refused it.
func NewExec(agent func() (Agent, error), command []string) Prober {
	return &execProber{agent: agent, command: append([]string(nil), command...)}
}

func (p *execProber) Probe(ctx context.Context) Outcome {
	if len(p.command) == 0 {
		return unknown("exec probe: exec.command is empty")
	}
	a, err := p.agent()
	if err != nil {
		return failure("guest agent unavailable: " + err.Error())
	}
	st, err := a.Run(ctx, p.command, MaxOutput)
	switch {
	case err == nil:
		return execOutcome(st)
	case errors.Is(ctx.Err(), context.Canceled):
		return unknown("exec probe canceled: " + err.Error())
	case errors.Is(err, context.DeadlineExceeded):
		return failure(fmt.Sprintf("command timed out: %q", p.command))
	default:
		return failure("exec probe: " + describeAgentError(err))
	}
}

func execOutcome(st *qga.ExecStatus) Outcome {
	out := combinedOutput(st)
	switch {
	case st.Signal != 0:
		return failure(fmt.Sprintf("command killed by signal %d: %s", st.Signal, out))
	case st.ExitCode != 0:
		if strings.TrimSpace(out) == "" {
			return failure(fmt.Sprintf("command exited with code %d", st.ExitCode))
		}
		return failure(out)
	default:
		return Outcome{Result: Success, Output: bound(string(st.Stdout))}
	}
}

// combinedOutput is stdout followed by stderr, bounded like every Output.
func combinedOutput(st *qga.ExecStatus) string {
	if len(st.Stderr) == 0 {
		return bound(string(st.Stdout))
	}
	if len(st.Stdout) == 0 {
		return bound(string(st.Stderr))
	}
	return bound(string(st.Stdout) + string(st.Stderr))
}
