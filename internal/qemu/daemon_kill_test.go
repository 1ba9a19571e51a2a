package qemu

import (
	"bufio"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"
	"k8s.io/apimachinery/pkg/types"

	"vigil.dev/vigil/internal/qmp"
)

// Environment of the helper "daemon" process.
const (
	helperDirEnv = "VIGIL_QEMU_TEST_DAEMON_DIR"
	helperUIDEnv = "VIGIL_QEMU_TEST_DAEMON_UID"
	pidMarker    = "VIGIL-QEMU-PID="
)

// TestHelperDaemon is not a test: it is the "daemon" that
// TestQEMUSurvivesDaemonKill starts in a child process. It launches a VM,
// reports its pid and waits to be killed.
func TestHelperDaemon(t *testing.T) {
	dir := os.Getenv(helperDirEnv)
	if dir == "" {
		t.Skip("only run as a child of TestQEMUSurvivesDaemonKill")
	}
	p, err := Launch(testCtx(t), testSpec(t, dir, types.UID(os.Getenv(helperUIDEnv))), LaunchOptions{Logger: quietLogger()})
	if err != nil {
		t.Fatalf("launch: %v", err)
	}
	os.Stdout.WriteString(pidMarker + strconv.Itoa(p.PID()) + "\n")
	select {}
}

// TestQEMUSurvivesDaemonKill kills the launching process with SIGKILL and
// checks that QEMU runs on and can be reattached and stopped. The test
// process makes itself a child subreaper, so the orphaned QEMU becomes its
// child and can be reaped at the end instead of lingering as a zombie.
func TestQEMUSurvivesDaemonKill(t *testing.T) {
	qemuBinary(t)
	if err := unix.Prctl(unix.PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0); err != nil {
		t.Skipf("cannot become a child subreaper: %v", err)
	}
	t.Cleanup(func() { unix.Prctl(unix.PR_SET_CHILD_SUBREAPER, 0, 0, 0, 0) })
	dir := filepath.Join(shortTempDir(t), "vmi")
	uid := newUID()

	daemon := exec.Command(os.Args[0], "-test.run=^TestHelperDaemon$", "-test.timeout=2m")
	daemon.Env = append(os.Environ(), helperDirEnv+"="+dir, helperUIDEnv+"="+string(uid))
	out, err := daemon.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	daemon.Stderr = os.Stderr
	if err := daemon.Start(); err != nil {
		t.Fatal(err)
	}
	pid := readPIDMarker(t, out)
	t.Cleanup(func() { killByPID(pid, uid); unix.Wait4(pid, nil, 0, nil) })

	daemon.Process.Signal(syscall.SIGKILL)
	daemon.Wait()

	p, err := Reattach(testCtx(t), dir, uid, ReattachOptions{Logger: quietLogger()})
	if err != nil {
		t.Fatalf("reattach after the daemon was killed: %v", err)
	}
	if p.PID() != pid {
		t.Fatalf("reattached pid %d, the daemon launched %d", p.PID(), pid)
	}
	wantStatus(t, p, qmp.StateRunning)
	waitForConsole(t, RunDir(dir), "Linux version")
	if err := p.Shutdown(testCtx(t), 0); err != nil {
		t.Fatalf("shutdown: %v", err)
	}
	if o := p.Outcome(); !o.Exited || !o.Killed {
		t.Errorf("outcome = %+v, want exited and killed", o)
	}
}

// readPIDMarker reads the helper's output until it reports QEMU's pid.
func readPIDMarker(t *testing.T, out interface{ Read([]byte) (int, error) }) int {
	t.Helper()
	found := make(chan int, 1)
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			if rest, ok := strings.CutPrefix(sc.Text(), pidMarker); ok {
				pid, _ := strconv.Atoi(rest)
				found <- pid
			}
		}
		close(found)
	}()
	select {
	case pid, ok := <-found:
		if !ok || pid <= 0 {
			t.Fatal("the helper daemon reported no qemu pid")
		}
		return pid
	case <-time.After(ioDeadline):
		t.Fatal("the helper daemon did not report a qemu pid in time")
	}
	return 0
}
