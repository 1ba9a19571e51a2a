package qemu

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"
	"k8s.io/apimachinery/pkg/types"
)

// A pidfd (pidfd_open(2)) names one process for good: unlike a pid it
// cannot come to mean another process after the first one exits. It becomes
// readable when the process exits, for any process, not only children, so
// it also watches QEMUs started by an earlier daemon.

// openPidfd opens a pidfd for pid; a process that is gone is ErrNotRunning.
func openPidfd(pid int) (int, error) {
	fd, err := unix.PidfdOpen(pid, unix.PIDFD_NONBLOCK)
	if errors.Is(err, unix.ESRCH) {
		return -1, fmt.Errorf("pid %d: %w", pid, ErrNotRunning)
	}
	if err != nil {
		return -1, fmt.Errorf("pidfd_open pid %d: %w", pid, err)
	}
	return fd, nil
}

// pidfdExited reports, without blocking, whether the pidfd's process exited.
func pidfdExited(pidfd int) bool {
	fds := []unix.PollFd{{Fd: int32(pidfd), Events: unix.POLLIN}}
	n, err := unix.Poll(fds, 0)
	return err == nil && n > 0
}

// exitWatch waits for a pidfd's process to exit in the Go runtime's
// poller (epoll), where a waiting goroutine holds no OS thread; a blocking
// wait(2) or poll(2) would hold one thread per VM for the VM's whole life.
type exitWatch struct {
	f *os.File
}

// watchExit watches a duplicate of pidfd, so the caller's pidfd (for
// signals) and the watch close independently.
func watchExit(pidfd int) (*exitWatch, error) {
	fd, err := unix.FcntlInt(uintptr(pidfd), unix.F_DUPFD_CLOEXEC, 0)
	if err != nil {
		return nil, fmt.Errorf("duplicating the pidfd: %w", err)
	}
	// The pidfd is non-blocking (PIDFD_NONBLOCK), so os.NewFile registers
	// it with the poller.
	return &exitWatch{f: os.NewFile(uintptr(fd), "pidfd")}, nil
}

// wait blocks until the process has exited (nil) or stop was called (an
// error). The watch is closed either way.
func (w *exitWatch) wait() error {
	defer w.f.Close()
	rc, err := w.f.SyscallConn()
	if err != nil {
		return fmt.Errorf("pidfd: %w", err)
	}
	exited := false
	err = rc.Read(func(fd uintptr) bool {
		exited = pidfdExited(int(fd))
		return exited
	})
	if err == nil && !exited {
		err = errors.New("pidfd: poller returned before the exit")
	}
	return err
}

// stop ends a wait in progress (or the next one) with an error.
func (w *exitWatch) stop() { w.f.Close() }

// readPidfile reads the pid QEMU wrote; a missing or malformed pidfile is
// ErrNotRunning.
func readPidfile(d RunDir) (int, error) {
	b, err := os.ReadFile(d.PIDFile())
	if errors.Is(err, os.ErrNotExist) {
		return 0, fmt.Errorf("no pidfile %s: %w", d.PIDFile(), ErrNotRunning)
	}
	if err != nil {
		return 0, fmt.Errorf("reading %s: %w", d.PIDFile(), err)
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil || pid <= 0 {
		return 0, fmt.Errorf("pidfile %s holds %q, not a pid: %w", d.PIDFile(), b, ErrNotRunning)
	}
	return pid, nil
}

// verifyProcess checks that pid is a QEMU started for the VMI: its argv[0]
// and (when readable) its executable name QEMU, and its argv holds the
// VMI's UID OEM string as one whole argument. A pid reused by an unrelated
// process, or a QEMU of another VMI, fails with ErrNotRunning.
func verifyProcess(pid int, uid types.UID) error {
	raw, err := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", pid))
	if err != nil || len(raw) == 0 {
		return fmt.Errorf("pid %d has no command line: %w", pid, ErrNotRunning)
	}
	args := strings.Split(strings.TrimRight(string(raw), "\x00"), "\x00")
	if !isQEMUName(args[0]) {
		return fmt.Errorf("pid %d runs %s, not qemu: %w", pid, args[0], ErrNotRunning)
	}
	if exe, err := os.Readlink(fmt.Sprintf("/proc/%d/exe", pid)); err == nil {
		exe = strings.TrimSuffix(exe, " (deleted)") // the binary was upgraded under it
		if !isQEMUName(exe) {
			return fmt.Errorf("pid %d executes %s, not qemu: %w", pid, exe, ErrNotRunning)
		}
	}
	if !slices.Contains(args, "type=11,value="+UIDOEMString+string(uid)) {
		return fmt.Errorf("pid %d is a qemu, but not of vmi uid %s: %w", pid, uid, ErrNotRunning)
	}
	return nil
}

// findProcess returns the pid of the VMI's live QEMU in d, or ErrNotRunning.
func findProcess(d RunDir, uid types.UID) (int, error) {
	pid, err := readPidfile(d)
	if err != nil {
		return 0, err
	}
	if err := verifyProcess(pid, uid); err != nil {
		return 0, err
	}
	return pid, nil
}

// isQEMUName reports whether path names a QEMU system emulator:
// qemu-system-ARCH, or qemu-kvm as some distributions call it.
func isQEMUName(path string) bool {
	base := filepath.Base(path)
	return strings.HasPrefix(base, "qemu-system-") || base == "qemu-kvm"
}
