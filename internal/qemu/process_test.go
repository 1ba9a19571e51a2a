package qemu

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/uuid"

	"vigil.dev/vigil/internal/qmp"
)

// Real-QEMU tests: the host's kernel boots without initrd or disk and
// panics for lack of a root fs (panic=0: it then hangs), which is enough
// of a guest to check launch, console, reattach and stopping. The kernel
// needs ~100 MiB to unpack itself, hence 128 MiB. A guest that panicked
// has no userspace to act on the ACPI power button: it ignores it.

func testSpec(t *testing.T, runDir string, uid types.UID) *LaunchSpec {
	t.Helper()
	qemuBinary(t)
	return &LaunchSpec{
		UID: uid, Namespace: "test", Name: strings.ToLower(strings.ReplaceAll(t.Name(), "/", "-")),
		Accel: AccelTCG, CPU: CPUTopology{1, 1, 1}, MemoryMiB: 128,
		Kernel: hostKernel(t), KernelArgs: "console=ttyS0 panic=0",
		SerialConsole: true, Sandbox: true,
		RunDir: runDir,
	}
}

func testCtx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), ioDeadline)
	t.Cleanup(cancel)
	return ctx
}

// launch starts a test VM and makes sure it is gone after the test.
func launch(t *testing.T, spec *LaunchSpec) *Process {
	t.Helper()
	p, err := Launch(testCtx(t), spec, LaunchOptions{Logger: quietLogger()})
	if err != nil {
		t.Fatalf("launch: %v", err)
	}
	t.Cleanup(func() { killByPID(p.PID(), spec.UID) })
	return p
}

// killByPID is the tests' safety net for a QEMU a failed test left
// running. It kills only a QEMU whose command line names the test's UID.
func killByPID(pid int, uid types.UID) {
	fd, err := openPidfd(pid)
	if err != nil {
		return
	}
	defer unix.Close(fd)
	if verifyProcess(pid, uid) == nil {
		unix.PidfdSendSignal(fd, unix.SIGKILL, nil, 0)
	}
}

func waitExited(t *testing.T, p *Process) {
	t.Helper()
	select {
	case <-p.Exited():
	case <-time.After(ioDeadline):
		t.Fatalf("qemu pid %d did not exit", p.PID())
	}
}

// waitForConsole waits until console.log holds want (real guest I/O).
func waitForConsole(t *testing.T, d RunDir, want string) {
	t.Helper()
	deadline := time.Now().Add(ioDeadline)
	for time.Now().Before(deadline) {
		if b, _ := os.ReadFile(d.ConsoleLog()); strings.Contains(string(b), want) {
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	b, _ := os.ReadFile(d.ConsoleLog())
	t.Fatalf("console.log never showed %q; it holds %d bytes", want, len(b))
}

func wantStatus(t *testing.T, p *Process, want qmp.RunState) {
	t.Helper()
	st, err := p.QMP().QueryStatus(testCtx(t))
	if err != nil || st.Status != want {
		t.Fatalf("query-status = %+v, %v; want %s", st, err, want)
	}
}

func newUID() types.UID { return types.UID(uuid.NewUUID()) }

func TestLaunchDetachedAndKill(t *testing.T) {
	dir := filepath.Join(shortTempDir(t), "vmi")
	spec := testSpec(t, dir, newUID())
	p := launch(t, spec)
	d := RunDir(dir)

	if pid, err := readPidfile(d); err != nil || pid != p.PID() {
		t.Fatalf("pidfile: %d, %v; want %d", pid, err, p.PID())
	}
	wantStatus(t, p, qmp.StateRunning)
	if sid := sessionID(t, p.PID()); sid != p.PID() {
		t.Errorf("qemu's session id is %d, want its own session %d", sid, p.PID())
	}
	if stdin, _ := os.Readlink(fmt.Sprintf("/proc/%d/fd/0", p.PID())); stdin != "/dev/null" {
		t.Errorf("qemu's stdin is %q, want /dev/null", stdin)
	}
	if fi, err := os.Stat(dir); err != nil || fi.Mode().Perm() != 0o700 {
		t.Errorf("run dir mode: %v, %v; want 0700", fi.Mode(), err)
	}
	waitForConsole(t, d, "Linux version")

	if _, err := Launch(testCtx(t), spec, LaunchOptions{Logger: quietLogger()}); !errors.Is(err, ErrStillRunning) {
		t.Errorf("second launch in the same run dir: %v, want ErrStillRunning", err)
	}
	if err := Cleanup(dir, true); !errors.Is(err, ErrStillRunning) {
		t.Errorf("cleanup of a running VM: %v, want ErrStillRunning", err)
	}

	start := time.Now()
	if err := p.Shutdown(testCtx(t), 0); err != nil {
		t.Fatalf("shutdown: %v", err)
	}
	if !isClosed(p.Exited()) {
		t.Fatal("Shutdown returned before Exited closed")
	}
	t.Logf("kill took %v", time.Since(start))
	o := p.Outcome()
	if !o.Exited || !o.Killed || !o.StopRequested || o.ShutdownSeen || o.EventsIncomplete {
		t.Errorf("outcome = %+v; want exited, killed, stop requested, complete", o)
	}
	if ei := p.ExitInfo(); !ei.Known || ei.Signal != syscall.SIGKILL {
		t.Errorf("exit info = %+v, want known SIGKILL", ei)
	}

	if err := Cleanup(dir, true); err != nil {
		t.Fatalf("cleanup: %v", err)
	}
	for _, gone := range []string{d.QMP(), d.GuestAgent(), d.Console(), d.PIDFile(), d.Identity()} {
		if _, err := os.Stat(gone); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("%s still there after cleanup: %v", gone, err)
		}
	}
	if b, err := os.ReadFile(d.ConsoleLog()); err != nil || !strings.Contains(string(b), "Linux version") {
		t.Errorf("console.log not kept: %v", err)
	}
	if err := Cleanup(dir, false); err != nil {
		t.Fatalf("cleanup without logs: %v", err)
	}
	if _, err := os.Stat(dir); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("run dir still there after a full cleanup: %v", err)
	}
}

func sessionID(t *testing.T, pid int) int {
	t.Helper()
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		t.Fatal(err)
	}
	// Fields after the ")" closing comm: state ppid pgrp session ...
	fields := strings.Fields(string(b[strings.LastIndexByte(string(b), ')')+1:]))
	sid, _ := strconv.Atoi(fields[3])
	return sid
}

func isClosed(ch <-chan struct{}) bool {
	select {
	case <-ch:
		return true
	default:
		return false
	}
}

func TestReattach(t *testing.T) {
	dir := filepath.Join(shortTempDir(t), "vmi")
	uid := newUID()
	p := launch(t, testSpec(t, dir, uid))
	ctx := testCtx(t)

	// The daemon goes away: QMP is released, QEMU runs on.
	p.Close()
	if err := p.Kill(); !errors.Is(err, ErrDetached) {
		t.Errorf("kill after close: %v, want ErrDetached", err)
	}
	if _, err := Reattach(ctx, dir, newUID(), ReattachOptions{Logger: quietLogger()}); !errors.Is(err, ErrNotRunning) {
		t.Errorf("reattach with another uid: %v, want ErrNotRunning", err)
	}
	r, err := Reattach(ctx, dir, uid, ReattachOptions{Logger: quietLogger()})
	if err != nil {
		t.Fatalf("reattach: %v", err)
	}
	if r.PID() != p.PID() {
		t.Fatalf("reattached pid %d, launched %d", r.PID(), p.PID())
	}
	wantStatus(t, r, qmp.StateRunning)
	if !r.Outcome().EventsIncomplete {
		t.Error("a reattached process must report that earlier events are unknown")
	}

	if err := r.Shutdown(ctx, 0); err != nil {
		t.Fatalf("shutdown: %v", err)
	}
	if o := r.Outcome(); !o.Exited || !o.Killed || o.Exit.Known {
		t.Errorf("reattached outcome = %+v; want exited, killed, exit status unknown", o)
	}
	waitExited(t, p) // the launching handle still reaps its child
	if ei := p.ExitInfo(); ei.Signal != syscall.SIGKILL {
		t.Errorf("launching handle's exit info = %+v, want SIGKILL", ei)
	}
	if _, err := Reattach(ctx, dir, uid, ReattachOptions{Logger: quietLogger()}); !errors.Is(err, ErrNotRunning) {
		t.Errorf("reattach after the exit (stale pidfile): %v, want ErrNotRunning", err)
	}
}

func TestShutdownGraceFallsBackToKill(t *testing.T) {
	dir := filepath.Join(shortTempDir(t), "vmi")
	p := launch(t, testSpec(t, dir, newUID()))
	waitForConsole(t, RunDir(dir), "end Kernel panic")

	const grace = 2 * time.Second
	start := time.Now()
	if err := p.Shutdown(testCtx(t), grace); err != nil {
		t.Fatalf("shutdown: %v", err)
	}
	if took := time.Since(start); took < grace {
		t.Errorf("shutdown took %v: the kill came before the %v grace", took, grace)
	}
	if o := p.Outcome(); !o.Killed || o.ShutdownSeen || !o.StopRequested {
		t.Errorf("outcome = %+v; want killed after the guest ignored the power button", o)
	}
}

func TestKilledFromOutside(t *testing.T) {
	dir := filepath.Join(shortTempDir(t), "vmi")
	p := launch(t, testSpec(t, dir, newUID()))
	if err := syscall.Kill(p.PID(), syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	waitExited(t, p)
	if o := p.Outcome(); !o.Killed || o.StopRequested || o.Exit.Signal != syscall.SIGKILL {
		t.Errorf("outcome = %+v; want killed, not requested, by SIGKILL", o)
	}
	select {
	case _, open := <-p.Events():
		for open {
			_, open = <-p.Events()
		}
	case <-time.After(ioDeadline):
		t.Error("Events not closed after the exit")
	}
}

func TestPausedStartPauseResumeQuit(t *testing.T) {
	dir := filepath.Join(shortTempDir(t), "vmi")
	spec := testSpec(t, dir, newUID())
	spec.Paused = true
	p := launch(t, spec)
	ctx := testCtx(t)

	wantStatus(t, p, qmp.StatePrelaunch)
	if err := p.Resume(ctx); err != nil {
		t.Fatal(err)
	}
	wantStatus(t, p, qmp.StateRunning)
	if err := p.Pause(ctx); err != nil {
		t.Fatal(err)
	}
	wantStatus(t, p, qmp.StatePaused)
	if got := nextEvents(t, p, 2); got != "RESUME STOP" {
		t.Errorf("events = %q, want RESUME STOP", got)
	}

	if err := p.QMP().Quit(ctx); err != nil {
		t.Fatal(err)
	}
	waitExited(t, p)
	o := p.Outcome()
	if o.Killed || !o.ShutdownSeen || o.GuestShutdown || o.ShutdownReason != "host-qmp-quit" || o.StopRequested {
		t.Errorf("outcome = %+v; want a host-qmp-quit shutdown, not killed", o)
	}
	if ei := p.ExitInfo(); !ei.Known || ei.Code != 0 || ei.Signal != 0 {
		t.Errorf("exit info = %+v, want exit code 0", ei)
	}
}

func nextEvents(t *testing.T, p *Process, n int) string {
	t.Helper()
	var names []string
	for len(names) < n {
		select {
		case ev := <-p.Events():
			names = append(names, ev.Name)
		case <-time.After(ioDeadline):
			t.Fatalf("only events %q", names)
		}
	}
	return strings.Join(names, " ")
}

func TestLaunchFailureReportsQEMULog(t *testing.T) {
	dir := filepath.Join(shortTempDir(t), "vmi")
	spec := testSpec(t, dir, newUID())
	spec.Kernel = "/nonexistent/vmlinuz"
	_, err := Launch(testCtx(t), spec, LaunchOptions{Logger: quietLogger()})
	if !errors.Is(err, ErrStartFailed) || !strings.Contains(err.Error(), "/nonexistent/vmlinuz") {
		t.Fatalf("launch: %v; want ErrStartFailed quoting qemu's complaint", err)
	}
	t.Logf("launch error: %v", err)
	if _, err := findProcess(RunDir(dir), spec.UID); !errors.Is(err, ErrNotRunning) {
		t.Errorf("after a failed start: %v, want nothing running", err)
	}
}
