package qga

import (
	"context"
	"errors"
	"reflect"
	"testing"
	"time"
)

func TestExecAndStatusDecodeBase64(t *testing.T) {
	f := newFakeAgent(t, nil)
	c := dialAgent(t, f, Options{})
	ctx := testCtx(t)
	pid, err := c.Exec(ctx, "/bin/cat", []string{"-"}, []string{"A=1"}, []byte("input\x00bytes"), true)
	if err != nil {
		t.Fatalf("Exec: %v", err)
	}
	f.mu.Lock()
	got := f.execs[0]
	f.mu.Unlock()
	want := execArgs{Path: "/bin/cat", Arg: []string{"-"}, Env: []string{"A=1"}, InputData: "aW5wdXQAYnl0ZXM=", CaptureOutput: true}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("guest-exec arguments = %+v, want %+v", got, want)
	}
	for i := 0; ; i++ {
		st, err := c.ExecStatus(ctx, pid)
		if err != nil {
			t.Fatalf("ExecStatus: %v", err)
		}
		if i < 2 {
			if st.Exited {
				t.Fatalf("poll %d: exited early", i)
			}
			continue
		}
		if !st.Exited || st.ExitCode != 0 || string(st.Stdout) != "input\x00bytes" {
			t.Fatalf("final status = %+v", st)
		}
		break
	}
	var qe *Error
	if _, err := c.ExecStatus(ctx, pid); !errors.As(err, &qe) {
		t.Fatalf("status of a reaped pid = %v, want an agent error", err)
	}
}

func TestRun(t *testing.T) {
	f := newFakeAgent(t, nil)
	c := dialAgent(t, f, Options{})
	tests := []struct {
		argv      []string
		maxOutput int
		want      ExecStatus
	}{
		{[]string{"/bin/echo", "hi"}, 0, ExecStatus{Exited: true, Stdout: []byte("hi\n"), Stderr: []byte{}}},
		{[]string{"/bin/false"}, 0, ExecStatus{Exited: true, ExitCode: 1, Stdout: []byte{}, Stderr: []byte("failed\n")}},
		{[]string{"/bin/echo", "0123456789"}, 4, ExecStatus{Exited: true, Stdout: []byte("0123"), OutTruncated: true, Stderr: []byte{}}},
	}
	for _, tt := range tests {
		st, err := c.Run(testCtx(t), tt.argv, tt.maxOutput)
		if err != nil || !reflect.DeepEqual(*st, tt.want) {
			t.Fatalf("Run(%q) = %+v, %v; want %+v", tt.argv, st, err, tt.want)
		}
	}
	if _, err := c.Run(testCtx(t), nil, 0); err == nil {
		t.Fatal("Run with empty argv succeeded")
	}
}

func TestRunTimesOutAndLeavesTheCommand(t *testing.T) {
	f := newFakeAgent(t, nil)
	c := dialAgent(t, f, Options{})
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond) // the command never exits
	defer cancel()
	_, err := c.Run(ctx, []string{"/bin/sleep", "1000"}, 0)
	if !errors.Is(err, ErrTimeout) {
		t.Fatalf("Run error = %v, want ErrTimeout", err)
	}
	f.mu.Lock()
	left := len(f.procs)
	f.mu.Unlock()
	if left != 1 {
		t.Fatalf("fake agent holds %d processes, want the one left running", left)
	}
	if err := c.Ping(testCtx(t)); err != nil {
		t.Fatalf("Ping after a timed-out Run: %v", err)
	}
}
