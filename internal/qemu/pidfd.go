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

// waitPidfd blocks until the pidfd's process exits (true) or wakefd
// becomes readable (false).
func waitPidfd(pidfd, wakefd int) (bool, error) {
	fds := []unix.PollFd{
		{Fd: int32(pidfd), Events: unix.POLLIN},
		{Fd: int32(wakefd), Events: unix.POLLIN},
	}
	for {
		_, err := unix.Poll(fds, -1)
		if errors.Is(err, unix.EINTR) {
			continue
		}
		if err != nil {
			return false, fmt.Errorf("poll on pidfd: %w", err)
		}
		switch {
		case fds[0].Revents != 0:
			return true, nil
		case fds[1].Revents != 0:
			return false, nil
		}
	}
}

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
