package main

import (
	"errors"
	"log/slog"
	"os"
	"os/signal"
	"syscall"
	"testing"
	"time"
)

// newTestSupervisor runs a supervisor for the test process, reaping on
// SIGCHLD as init does.
func newTestSupervisor(t *testing.T) *supervisor {
	t.Helper()
	s, err := newSupervisor(slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	sigs := make(chan os.Signal, 8)
	signal.Notify(sigs, syscall.SIGCHLD)
	stop := make(chan struct{})
	go func() {
		for {
			select {
			case <-sigs:
				s.reap()
			case <-stop:
				return
			}
		}
	}()
	t.Cleanup(func() { signal.Stop(sigs); close(stop) })
	return s
}

func TestSupervisorDeliversExitStatus(t *testing.T) {
	s := newTestSupervisor(t)
	ws, err := s.run(procSpec{argv: []string{"sh", "-c", "exit 3"}}, 10*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if !ws.Exited() || ws.ExitStatus() != 3 {
		t.Fatalf("status = %s, want exit status 3", describeStatus(ws))
	}
	if err := s.runOK(procSpec{argv: []string{"sh", "-c", "kill -9 $$"}}, 10*time.Second); err == nil || err.Error() != "sh: killed by signal 9 (killed)" {
		t.Fatalf("runOK of a killed child: %v", err)
	}
}

func TestSupervisorTimeoutLeavesChildRunning(t *testing.T) {
	s := newTestSupervisor(t)
	pid, done, err := s.start(procSpec{argv: []string{"sleep", "30"}})
	if err != nil {
		t.Fatal(err)
	}
	select {
	case ws := <-done:
		t.Fatalf("sleep ended early: %s", describeStatus(ws))
	default:
	}
	if err := syscall.Kill(pid, 0); err != nil {
		t.Fatalf("child %d not running: %v", pid, err)
	}
	_ = syscall.Kill(pid, syscall.SIGKILL)
	select {
	case ws := <-done:
		if !ws.Signaled() || ws.Signal() != syscall.SIGKILL {
			t.Fatalf("status = %s", describeStatus(ws))
		}
	case <-time.After(10 * time.Second):
		t.Fatal("killed child never reaped")
	}
	_, err = s.run(procSpec{argv: []string{"sleep", "1"}}, 0)
	if !errors.Is(err, errStillRunning) {
		t.Fatalf("run with zero timeout: %v, want errStillRunning", err)
	}
}

func TestSupervisorRefusesAfterClose(t *testing.T) {
	s := newTestSupervisor(t)
	s.close()
	if _, _, err := s.start(procSpec{argv: []string{"true"}}); !errors.Is(err, errShuttingDown) {
		t.Fatalf("start after close: %v, want errShuttingDown", err)
	}
}
