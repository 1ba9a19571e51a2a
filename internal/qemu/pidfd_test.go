package qemu

import (
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// startSleeper starts a child that lives until killed, and a pidfd for it.
func startSleeper(t *testing.T) (*exec.Cmd, int) {
	t.Helper()
	cmd := exec.Command("sleep", "3600")
	if err := cmd.Start(); err != nil {
		t.Skipf("no sleep binary: %v", err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	pidfd, err := openPidfd(cmd.Process.Pid)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { unix.Close(pidfd) })
	return cmd, pidfd
}

func threads(t *testing.T) int {
	t.Helper()
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "Threads:"); ok {
			n, _ := strconv.Atoi(strings.TrimSpace(v))
			return n
		}
	}
	t.Fatal("no Threads: in /proc/self/status")
	return 0
}

// startWatch watches pidfd's process; wait's result comes on done.
func startWatch(t *testing.T, pidfd int) (*exitWatch, <-chan error) {
	t.Helper()
	w, err := watchExit(pidfd)
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- w.wait() }()
	return w, done
}

func TestExitWatchSeesTheExitWithoutAThreadPerProcess(t *testing.T) {
	const n = 16
	type watched struct {
		cmd  *exec.Cmd
		done <-chan error
	}
	before := threads(t)
	ws := make([]watched, n)
	for i := range ws {
		cmd, pidfd := startSleeper(t)
		_, done := startWatch(t, pidfd)
		ws[i] = watched{cmd, done}
	}
	time.Sleep(200 * time.Millisecond) // every watcher is parked by now
	// A blocking wait(2) or poll(2) per process would hold n more threads.
	if grown := threads(t) - before; grown >= n/2 {
		t.Errorf("%d watches of live processes added %d OS threads", n, grown)
	}
	for _, w := range ws {
		select {
		case err := <-w.done:
			t.Fatalf("wait returned while the process lives: %v", err)
		default:
		}
		w.cmd.Process.Kill()
		select {
		case err := <-w.done:
			if err != nil {
				t.Errorf("wait after the kill: %v", err)
			}
		case <-time.After(10 * time.Second):
			t.Fatal("wait did not return after the kill")
		}
	}
}

func TestExitWatchStop(t *testing.T) {
	_, pidfd := startSleeper(t)
	w, done := startWatch(t, pidfd)
	time.Sleep(50 * time.Millisecond)
	w.stop()
	select {
	case err := <-done:
		if err == nil {
			t.Error("a stopped wait reported an exit")
		}
	case <-time.After(10 * time.Second):
		t.Fatal("stop did not end the wait")
	}
	if pidfdExited(pidfd) {
		t.Error("the process is gone, or stop closed the caller's pidfd")
	}
	// The caller's pidfd is its own: signals still reach the process.
	if err := unix.PidfdSendSignal(pidfd, unix.SIGKILL, nil, 0); err != nil {
		t.Errorf("signal through the caller's pidfd after stop: %v", err)
	}
}
