package nstest

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"syscall"
	"testing"

	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"
)

// parentEnv carries the parent's namespace ids to the re-executed child.
const parentEnv = "VIGIL_NSTEST_PARENT_NS"

var (
	isolated    bool   // this process runs in namespaces made by Main
	unavailable string // why it does not, for skip messages
)

// Main runs m inside fresh network and mount namespaces and exits with its
// result. Call it from TestMain.
func Main(m *testing.M) {
	os.Exit(runMain(m))
}

func runMain(m *testing.M) int {
	if parent, ok := os.LookupEnv(parentEnv); ok {
		if err := enterChild(parent); err != nil {
			fmt.Fprintf(os.Stderr, "nstest: refusing to run tests: %v\n", err)
			return 2
		}
		isolated = true
		return m.Run()
	}
	code, err := reexec()
	if err != nil {
		unavailable = err.Error()
		fmt.Fprintf(os.Stderr, "nstest: no private namespaces (%v); tests that need them are skipped\n", err)
		return m.Run()
	}
	return code
}

// Require skips the test unless the process runs isolated by Main.
func Require(t testing.TB) {
	t.Helper()
	if isolated {
		return
	}
	if unavailable == "" {
		t.Skip("nstest: not isolated: the package's TestMain must call nstest.Main")
	}
	t.Skipf("nstest: not isolated: %s", unavailable)
}

// Isolated reports whether the process runs in namespaces made by Main.
func Isolated() bool { return isolated }

// reexec runs this test binary again, with the same arguments, in new
// network and mount namespaces, and returns its exit code. An error means
// the child could not be started.
func reexec() (int, error) {
	ids, err := nsIDs()
	if err != nil {
		return 0, err
	}
	self, err := os.Executable()
	if err != nil {
		return 0, fmt.Errorf("find test binary: %w", err)
	}
	// Pdeathsig follows the thread that started the child: keep it alive.
	runtime.LockOSThread()
	cmd := exec.Command(self, os.Args[1:]...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
	cmd.Env = append(os.Environ(), parentEnv+"="+ids)
	cmd.SysProcAttr = &syscall.SysProcAttr{
		Cloneflags: unix.CLONE_NEWNET | unix.CLONE_NEWNS,
		Pdeathsig:  syscall.SIGKILL,
	}
	if err := cmd.Start(); err != nil {
		return 0, fmt.Errorf("start test binary in new namespaces: %w", err)
	}
	err = cmd.Wait()
	var exit *exec.ExitError
	if errors.As(err, &exit) {
		return exit.ExitCode(), nil
	}
	if err != nil {
		return 1, nil
	}
	return 0, nil
}

// enterChild checks that this process really runs in namespaces other than
// its parent's and prepares them.
func enterChild(parent string) error {
	ids, err := nsIDs()
	if err != nil {
		return err
	}
	if sameNS(ids, parent) {
		return fmt.Errorf("namespaces %s are the parent's (%s)", ids, parent)
	}
	if err := unix.Mount("", "/", "", unix.MS_REC|unix.MS_PRIVATE, ""); err != nil {
		return fmt.Errorf("make mounts private: %w", err)
	}
	if err := unix.Mount("sysfs", "/sys", "sysfs", 0, ""); err != nil {
		return fmt.Errorf("mount private /sys: %w", err)
	}
	if err := os.MkdirAll(netnsDir, 0o755); err != nil {
		return fmt.Errorf("create %s: %w", netnsDir, err)
	}
	if err := unix.Mount("tmpfs", netnsDir, "tmpfs", 0, "mode=0755"); err != nil {
		return fmt.Errorf("mount private %s: %w", netnsDir, err)
	}
	lo, err := netlink.LinkByName("lo")
	if err != nil {
		return fmt.Errorf("find loopback: %w", err)
	}
	if err := netlink.LinkSetUp(lo); err != nil {
		return fmt.Errorf("bring loopback up: %w", err)
	}
	return nil
}

// nsIDs names this process's network and mount namespaces, as in
// "net:[4026531840] mnt:[4026531841]".
func nsIDs() (string, error) {
	netID, err := os.Readlink("/proc/self/ns/net")
	if err != nil {
		return "", fmt.Errorf("read network namespace: %w", err)
	}
	mntID, err := os.Readlink("/proc/self/ns/mnt")
	if err != nil {
		return "", fmt.Errorf("read mount namespace: %w", err)
	}
	return netID + " " + mntID, nil
}

// sameNS reports whether two nsIDs strings share a namespace.
func sameNS(a, b string) bool {
	var an, am, bn, bm string
	fmt.Sscan(a, &an, &am)
	fmt.Sscan(b, &bn, &bm)
	return an == bn || am == bm
}
