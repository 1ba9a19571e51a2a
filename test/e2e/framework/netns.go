package framework

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"os"
	"os/exec"
	"testing"
)

// NewNetns makes a network namespace for one test, with loopback up, and
// removes it (and everything in it) when the test ends. The daemon and its
// VMs live in it; the host's own namespace is never touched.
func NewNetns(t testing.TB) string {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("end-to-end tests need root (network namespaces, bridges, taps)")
	}
	b := make([]byte, 4)
	_, _ = rand.Read(b)
	name := "vigil-e2e-" + hex.EncodeToString(b)
	if out, err := exec.Command("ip", "netns", "add", name).CombinedOutput(); err != nil {
		t.Fatalf("ip netns add %s: %v: %s", name, err, out)
	}
	t.Cleanup(func() {
		if out, err := exec.Command("ip", "netns", "del", name).CombinedOutput(); err != nil {
			t.Logf("ip netns del %s: %v: %s", name, err, out)
		}
	})
	if out, err := exec.Command("ip", "-n", name, "link", "set", "lo", "up").CombinedOutput(); err != nil {
		t.Fatalf("bringing lo up in %s: %v: %s", name, err, out)
	}
	return name
}

// InNetns wraps a command so it runs inside the namespace.
func InNetns(netns string, argv ...string) []string {
	return append([]string{"ip", "netns", "exec", netns}, argv...)
}

// NetnsExec runs a command inside the namespace and returns its combined output.
func NetnsExec(netns string, argv ...string) (string, error) {
	out, err := exec.Command("ip", InNetns(netns, argv...)[1:]...).CombinedOutput()
	if err != nil {
		return string(out), fmt.Errorf("%v: %w: %s", argv, err, out)
	}
	return string(out), nil
}
