package qga

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"time"
)

// Polling of guest-exec-status in Run: start quick (most probe commands
// finish in milliseconds), back off so a slow command costs few round trips.
const (
	runPollFirst = 10 * time.Millisecond
	runPollMax   = 200 * time.Millisecond
)

type execArgs struct {
	Path          string   `json:"path"`
	Arg           []string `json:"arg,omitempty"`
	Env           []string `json:"env,omitempty"`
	InputData     string   `json:"input-data,omitempty"`
	CaptureOutput bool     `json:"capture-output"`
}

// Exec starts path with args in the guest (guest-exec) and returns its
// guest pid without waiting. env entries are "NAME=value"; input, if any,
// is fed to its stdin. With captureOutput the agent keeps stdout and
// stderr for ExecStatus.
func (c *Client) Exec(ctx context.Context, path string, args, env []string, input []byte, captureOutput bool) (int, error) {
	a := execArgs{Path: path, Arg: args, Env: env, CaptureOutput: captureOutput}
	if len(input) > 0 {
		a.InputData = base64.StdEncoding.EncodeToString(input)
	}
	var out struct {
		PID int `json:"pid"`
	}
	if err := c.Execute(ctx, "guest-exec", a, &out); err != nil {
		return 0, err
	}
	return out.PID, nil
}

// ExecStatus is the state of a command started by Exec, output decoded.
type ExecStatus struct {
	Exited   bool
	ExitCode int // valid when Exited and Signal == 0
	Signal   int // the signal that ended it, 0 if none
	Stdout   []byte
	Stderr   []byte
	// OutTruncated and ErrTruncated say output was cut, by the agent or
	// by Run's maxOutput.
	OutTruncated, ErrTruncated bool
}

type execStatusReply struct {
	Exited       bool   `json:"exited"`
	ExitCode     *int   `json:"exitcode"`
	Signal       *int   `json:"signal"`
	OutData      string `json:"out-data"`
	ErrData      string `json:"err-data"`
	OutTruncated bool   `json:"out-truncated"`
	ErrTruncated bool   `json:"err-truncated"`
}

// ExecStatus asks about a command started by Exec (guest-exec-status).
// The agent forgets the command once it has reported it exited.
func (c *Client) ExecStatus(ctx context.Context, pid int) (*ExecStatus, error) {
	var r execStatusReply
	if err := c.Execute(ctx, "guest-exec-status", map[string]int{"pid": pid}, &r); err != nil {
		return nil, err
	}
	st := &ExecStatus{Exited: r.Exited, OutTruncated: r.OutTruncated, ErrTruncated: r.ErrTruncated}
	if r.ExitCode != nil {
		st.ExitCode = *r.ExitCode
	}
	if r.Signal != nil {
		st.Signal = *r.Signal
	}
	var err error
	if st.Stdout, err = base64.StdEncoding.DecodeString(r.OutData); err != nil {
		return nil, fmt.Errorf("qga: guest-exec-status: pid %d: decoding out-data: %w", pid, err)
	}
	if st.Stderr, err = base64.StdEncoding.DecodeString(r.ErrData); err != nil {
		return nil, fmt.Errorf("qga: guest-exec-status: pid %d: decoding err-data: %w", pid, err)
	}
	return st, nil
}

// Run executes argv in the guest with output captured and polls until it
// exits, keeping at most maxOutput bytes of each stream (0: no limit
// beyond Options.MaxReplyBytes). ctx bounds the whole run (without a
// deadline, Options.CommandTimeout does). When the deadline passes first,
// Run fails with ErrTimeout and the guest command is left running: the
// agent has no way to kill it.
func (c *Client) Run(ctx context.Context, argv []string, maxOutput int) (*ExecStatus, error) {
	if len(argv) == 0 {
		return nil, errors.New("qga: run: argv is empty")
	}
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, c.opts.CommandTimeout)
		defer cancel()
	}
	pid, err := c.Exec(ctx, argv[0], argv[1:], nil, nil, true)
	if err != nil {
		return nil, err
	}
	delay := runPollFirst
	for {
		st, err := c.ExecStatus(ctx, pid)
		if err != nil {
			return nil, err
		}
		if st.Exited {
			st.limit(maxOutput)
			return st, nil
		}
		if err := sleep(ctx, delay); err != nil {
			c.log.Info("qga: guest command still running at the deadline, left running", "pid", pid, "path", argv[0])
			return nil, fmt.Errorf("qga: run %s: guest pid %d still running: %w", argv[0], pid, err)
		}
		delay = min(2*delay, runPollMax)
	}
}

func (st *ExecStatus) limit(max int) {
	if max <= 0 {
		return
	}
	if len(st.Stdout) > max {
		st.Stdout, st.OutTruncated = st.Stdout[:max], true
	}
	if len(st.Stderr) > max {
		st.Stderr, st.ErrTruncated = st.Stderr[:max], true
	}
}

func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctxError(ctx)
	}
}
