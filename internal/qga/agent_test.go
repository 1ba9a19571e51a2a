package qga

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// startQemuGA runs the real qemu-ga on the host, listening on a unix socket
// with its pidfile and state in a temporary directory. The transport is not
// virtio-serial, but the protocol on it is the same.
func startQemuGA(t *testing.T) string {
	t.Helper()
	bin, err := exec.LookPath("qemu-ga")
	if err != nil {
		bin = "/usr/sbin/qemu-ga"
		if _, err := os.Stat(bin); err != nil {
			t.Skip("qemu-ga is not installed; skipping the real-agent test")
		}
	}
	dir := t.TempDir()
	sock := filepath.Join(dir, "qga.sock")
	var stderr strings.Builder
	cmd := exec.Command(bin, "-m", "unix-listen", "-p", sock,
		"-t", dir, "-f", filepath.Join(dir, "qga.pid"))
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatalf("starting qemu-ga: %v", err)
	}
	done := make(chan struct{})
	go func() { cmd.Wait(); close(done) }()
	t.Cleanup(func() {
		cmd.Process.Kill()
		<-done
		if t.Failed() {
			t.Logf("qemu-ga stderr:\n%s", stderr.String())
		}
	})
	return sock
}

// dialRetry dials until qemu-ga has created its socket (real I/O, generous deadline).
func dialRetry(t *testing.T, sock string) *Client {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	for {
		c, err := Dial(ctx, sock, quiet(Options{CommandTimeout: 5 * time.Second}))
		if err == nil {
			t.Cleanup(func() { c.Close() })
			return c
		}
		select {
		case <-ctx.Done():
			t.Fatalf("dialing qemu-ga: %v", err)
		case <-time.After(20 * time.Millisecond):
		}
	}
}

func TestRealQemuGA(t *testing.T) {
	sock := startQemuGA(t)
	c := dialRetry(t, sock)
	ctx := testCtx(t)

	if err := c.Ping(ctx); err != nil {
		t.Fatalf("guest-ping: %v", err)
	}
	info, err := c.Info(ctx)
	if err != nil || info.Version == "" || !info.Supports("guest-ping") || !info.Supports("guest-exec") {
		t.Fatalf("guest-info = %+v, %v", info, err)
	}
	osi, err := c.OSInfo(ctx)
	if err != nil || osi.KernelRelease == "" || osi.Machine == "" {
		t.Fatalf("guest-get-osinfo = %+v, %v", osi, err)
	}
	ifs, err := c.NetworkInterfaces(ctx)
	if err != nil || !hasLoopback(ifs) {
		t.Fatalf("guest-network-get-interfaces = %+v, %v", ifs, err)
	}

	st, err := c.Run(ctx, []string{"/bin/echo", "hi"}, 1024)
	if err != nil || !st.Exited || st.ExitCode != 0 || string(st.Stdout) != "hi\n" {
		t.Fatalf("run echo hi = %+v, %v", st, err)
	}
	st, err = c.Run(ctx, []string{"/bin/false"}, 1024)
	if err != nil || !st.Exited || st.ExitCode != 1 {
		t.Fatalf("run false = %+v, %v", st, err)
	}

	// A new client on the same agent resynchronises past nothing stale.
	c.Close()
	c2 := dialRetry(t, sock)
	if err := c2.Ping(ctx); err != nil {
		t.Fatalf("guest-ping after redial: %v", err)
	}
}

func hasLoopback(ifs []Interface) bool {
	for _, i := range ifs {
		for _, a := range i.IPAddresses {
			if i.Name == "lo" && a.Address == "127.0.0.1" && a.Prefix == 8 {
				return true
			}
		}
	}
	return false
}
