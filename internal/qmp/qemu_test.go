package qmp

import (
	"context"
	"errors"
	"log/slog"
	"os/exec"
	"path/filepath"
	"testing"
	"time"
)

// startQEMU runs a real QEMU with its CPU stopped (-S): no disk, no
// network, no display, so it costs next to nothing. It returns the QMP
// socket path and a channel that yields QEMU's exit status.
func startQEMU(t *testing.T) (string, <-chan error) {
	t.Helper()
	bin, err := exec.LookPath("qemu-system-x86_64")
	if err != nil {
		t.Skip("qemu-system-x86_64 is not installed; skipping the real-QEMU test")
	}
	sock := filepath.Join(t.TempDir(), "qmp.sock")
	cmd := exec.Command(bin, "-machine", "q35", "-accel", "tcg", "-m", "64",
		"-nodefaults", "-nographic", "-display", "none", "-S",
		"-qmp", "unix:"+sock+",server=on,wait=off")
	if err := cmd.Start(); err != nil {
		t.Fatalf("starting qemu: %v", err)
	}
	exited := make(chan error, 1)
	done := make(chan struct{})
	go func() { exited <- cmd.Wait(); close(done) }()
	t.Cleanup(func() {
		cmd.Process.Kill()
		<-done
	})
	return sock, exited
}

// dialRetry dials until QEMU has created its socket (real I/O, generous deadline).
func dialRetry(t *testing.T, sock string) *Client {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	opts := Options{Logger: slog.New(slog.DiscardHandler)}
	for {
		c, err := Dial(ctx, sock, opts)
		if err == nil {
			t.Cleanup(func() { c.Close() })
			return c
		}
		select {
		case <-ctx.Done():
			t.Fatalf("dialing qemu: %v", err)
		case <-time.After(20 * time.Millisecond):
		}
	}
}

func nextEvent(t *testing.T, c *Client, want string) Event {
	t.Helper()
	timeout := time.After(ioDeadline)
	for {
		select {
		case ev, ok := <-c.Events():
			if !ok {
				t.Fatalf("events closed while waiting for %s", want)
			}
			if ev.Name == want {
				return ev
			}
			t.Logf("skipping event %s while waiting for %s", ev.Name, want)
		case <-timeout:
			t.Fatalf("no %s event", want)
		}
	}
}

func wantState(t *testing.T, c *Client, want RunState) {
	t.Helper()
	st, err := c.QueryStatus(testCtx(t))
	if err != nil {
		t.Fatalf("query-status: %v", err)
	}
	if st.Status != want || st.Running != (want == StateRunning) {
		t.Fatalf("status = %+v, want %s", st, want)
	}
}

func TestRealQEMU(t *testing.T) {
	sock, exited := startQEMU(t)
	c := dialRetry(t, sock)
	if c.Version().Major < 2 {
		t.Fatalf("implausible version %+v", c.Version())
	}
	ctx := testCtx(t)
	wantState(t, c, StatePrelaunch)

	if err := c.Cont(ctx); err != nil {
		t.Fatalf("cont: %v", err)
	}
	nextEvent(t, c, EventResume)
	wantState(t, c, StateRunning)

	if err := c.Stop(ctx); err != nil {
		t.Fatalf("stop: %v", err)
	}
	nextEvent(t, c, EventStop)
	wantState(t, c, StatePaused)

	if err := c.SystemReset(ctx); err != nil {
		t.Fatalf("system_reset: %v", err)
	}
	reset, err := nextEvent(t, c, EventReset).Reset()
	if err != nil || reset.Guest || reset.Reason != "host-qmp-system-reset" {
		t.Fatalf("RESET data = %+v, %v", reset, err)
	}

	var qe *Error
	if err := c.Execute(ctx, "no-such-command", nil, nil); !errors.As(err, &qe) || qe.Class != "CommandNotFound" {
		t.Fatalf("unknown command error = %v, want CommandNotFound", err)
	}

	if err := c.Quit(ctx); err != nil {
		t.Fatalf("quit: %v", err)
	}
	sd, err := nextEvent(t, c, EventShutdown).Shutdown()
	if err != nil || sd.Guest || sd.Reason != "host-qmp-quit" {
		t.Fatalf("SHUTDOWN data = %+v, %v", sd, err)
	}
	select {
	case <-c.Disconnected():
	case <-time.After(ioDeadline):
		t.Fatal("no EOF after quit")
	}
	if err := c.Execute(ctx, "query-status", nil, nil); !errors.Is(err, ErrClosed) {
		t.Fatalf("after quit: %v, want ErrClosed", err)
	}
	select {
	case err := <-exited:
		if err != nil {
			t.Fatalf("qemu exit after quit: %v, want status 0", err)
		}
	case <-time.After(ioDeadline):
		t.Fatal("qemu still running after quit")
	}
}
