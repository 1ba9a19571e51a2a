package nstest

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sync/atomic"
	"testing"
	"time"

	"github.com/vishvananda/netns"
)

// netnsDir is where `ip netns` keeps named namespaces.
const netnsDir = "/run/netns"

// cmdTimeout bounds the helper commands (ip, nft): they finish in
// milliseconds unless the system is stuck.
const cmdTimeout = 30 * time.Second

var seq atomic.Int64

// NS is a named network namespace inside the test's own.
type NS struct {
	// Name is the namespace's name for `ip netns exec`.
	Name string
}

// New makes a namespace with loopback up, removed when the test ends.
// It skips the test unless the process is isolated (see Main).
func New(t testing.TB) *NS {
	t.Helper()
	Require(t)
	n := &NS{Name: fmt.Sprintf("nst%d-%d", os.Getpid(), seq.Add(1))}
	run(t, "ip", "netns", "add", n.Name)
	t.Cleanup(func() {
		if out, err := exec.Command("ip", "netns", "del", n.Name).CombinedOutput(); err != nil {
			t.Errorf("nstest: delete namespace %s: %v: %s", n.Name, err, out)
		}
	})
	n.Run(t, "ip", "link", "set", "lo", "up")
	return n
}

// Path is the namespace's file, for setns(2) or nsenter --net=.
func (n *NS) Path() string { return filepath.Join(netnsDir, n.Name) }

// Command prepares a command that runs inside the namespace.
func (n *NS) Command(ctx context.Context, name string, args ...string) *exec.Cmd {
	return exec.CommandContext(ctx, "ip", append([]string{"netns", "exec", n.Name, name}, args...)...)
}

// Run runs a command inside the namespace and returns its combined output;
// a failure fails the test.
func (n *NS) Run(t testing.TB, name string, args ...string) string {
	t.Helper()
	return run(t, "ip", append([]string{"netns", "exec", n.Name, name}, args...)...)
}

// Do runs fn on an OS thread that has entered the namespace, e.g. to open
// a listening socket there (a socket stays in the namespace it was made
// in). The thread is discarded afterwards, never reused by other code.
func (n *NS) Do(fn func() error) error {
	errc := make(chan error, 1)
	go func() {
		// No UnlockOSThread: the goroutine ends locked, so the runtime
		// retires the thread with its namespace.
		runtime.LockOSThread()
		h, err := netns.GetFromPath(n.Path())
		if err != nil {
			errc <- fmt.Errorf("open namespace %s: %w", n.Name, err)
			return
		}
		defer h.Close()
		if err := netns.Set(h); err != nil {
			errc <- fmt.Errorf("enter namespace %s: %w", n.Name, err)
			return
		}
		errc <- fn()
	}()
	return <-errc
}

// run runs a command in the test's namespace; a failure fails the test.
func run(t testing.TB, name string, args ...string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), cmdTimeout)
	defer cancel()
	out, err := exec.CommandContext(ctx, name, args...).CombinedOutput()
	if err != nil {
		t.Fatalf("nstest: %s %v: %v: %s", name, args, err, out)
	}
	return string(out)
}
