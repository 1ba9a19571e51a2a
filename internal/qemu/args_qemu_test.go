package qemu

import (
	"context"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"vigil.dev/vigil/internal/qmp"
)

// ioDeadline bounds waits on real I/O with QEMU (generous: a loaded
// 2-core host under TCG).
const ioDeadline = 30 * time.Second

func qemuBinary(t *testing.T) string {
	t.Helper()
	bin, err := exec.LookPath(DefaultQEMUBinary)
	if err != nil {
		t.Skip("qemu-system-x86_64 is not installed")
	}
	return bin
}

func hostKernel(t *testing.T) string {
	t.Helper()
	kernels, _ := filepath.Glob("/boot/vmlinuz-*")
	if len(kernels) == 0 {
		t.Skip("no /boot/vmlinuz-* to boot")
	}
	return kernels[len(kernels)-1]
}

// shortTempDir is a temporary directory with a path short enough for
// unix sockets (t.TempDir's can exceed 107 bytes).
func shortTempDir(t *testing.T) string {
	t.Helper()
	dir, err := os.MkdirTemp("", "vq")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	return dir
}

// realFiles creates every file the cases name: the host's kernel, a dummy
// initrd, qcow2 (one an overlay) and raw images.
func realFiles(t *testing.T) files {
	t.Helper()
	dir := shortTempDir(t)
	f := files{
		runDir:    filepath.Join(dir, "run"),
		kernel:    hostKernel(t),
		initrd:    filepath.Join(dir, "initrd.img"),
		rootDisk:  filepath.Join(dir, "rootdisk.qcow2"),
		cloudInit: filepath.Join(dir, "cloudinit.iso"),
	}
	for _, raw := range []string{f.initrd, f.cloudInit, filepath.Join(dir, "data.img"), filepath.Join(dir, "scratch.img")} {
		if err := os.WriteFile(raw, make([]byte, 1<<20), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	// The root disk is a copy-on-write overlay on a raw base, as the image
	// store makes for a containerDisk.
	base := filepath.Join(dir, "base.img")
	if err := os.WriteFile(base, make([]byte, 1<<20), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, create := range [][]string{
		{"-F", "raw", "-b", base, f.rootDisk},
		{filepath.Join(dir, "extra,1.qcow2"), "64M"},
	} {
		args := append([]string{"create", "-q", "-f", "qcow2"}, create...)
		if out, err := exec.Command("qemu-img", args...).CombinedOutput(); err != nil {
			t.Skipf("qemu-img: %v: %s", err, out)
		}
	}
	if err := os.Mkdir(f.runDir, 0o700); err != nil {
		t.Fatal(err)
	}
	return f
}

// TestArgsAcceptedByQEMU starts QEMU with each case's argv (vCPUs stopped)
// and checks it comes up: every device, chardev and option is one QEMU
// 7.2 takes. QEMU runs in a network namespace of its own, where it creates
// the taps itself, so the host's network is not touched. KVM is not usable
// here: the KVM case runs under TCG (its -cpu host and vhost go untested).
func TestArgsAcceptedByQEMU(t *testing.T) {
	bin := qemuBinary(t)
	if os.Geteuid() != 0 {
		t.Skip("needs root for a private network namespace with taps")
	}
	for _, c := range argsCases {
		t.Run(c.name, func(t *testing.T) {
			f := realFiles(t)
			spec := specFor(t, c, f)
			spec.Accel = AccelTCG
			runPrelaunch(t, spec.Args(bin), RunDir(f.runDir))
		})
	}
}

func runPrelaunch(t *testing.T, args []string, d RunDir) {
	t.Helper()
	logf, err := os.Create(d.QEMULog())
	if err != nil {
		t.Fatal(err)
	}
	defer logf.Close()
	cmd := exec.Command(args[0], args[1:]...)
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.SysProcAttr = &syscall.SysProcAttr{Cloneflags: syscall.CLONE_NEWNET}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan struct{})
	go func() { cmd.Wait(); close(exited) }()
	defer func() { cmd.Process.Kill(); <-exited }()

	ctx, cancel := context.WithTimeout(context.Background(), ioDeadline)
	defer cancel()
	client, err := dialUntil(ctx, d.QMP(), exited)
	if err != nil {
		t.Fatalf("qemu did not come up: %v\n%s", err, logTail(d.QEMULog()))
	}
	defer client.Close()
	st, err := client.QueryStatus(ctx)
	if err != nil || st.Status != qmp.StatePrelaunch {
		t.Fatalf("query-status = %+v, %v; want prelaunch", st, err)
	}
	client.Quit(ctx)
	select {
	case <-exited:
	case <-ctx.Done():
		t.Fatal("qemu did not quit")
	}
}

// quietLogger keeps test output readable; failures print what matters.
func quietLogger() *slog.Logger { return slog.New(slog.DiscardHandler) }
