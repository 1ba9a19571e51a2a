package qemu

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"vigil.dev/vigil/internal/qmp"
)

// AccelAuto asks DetectAccel to use KVM when it really works, TCG otherwise.
const AccelAuto = "auto"

// Bounds of the KVM probe. kvmProbeTimeout caps the whole probe (QEMU
// starts in well under a second); kvmSettle is how long the probe lets the
// vCPUs run before asking whether they still do: a broken KVM (nested
// virtualization without the MSRs QEMU needs) aborts QEMU at the first
// vCPU reset, which happens before QMP answers, so the settle only guards
// against failures on the first instructions.
const (
	kvmProbeTimeout = 15 * time.Second
	kvmSettle       = 200 * time.Millisecond
)

// kvmProbes caches the probe's verdict per QEMU binary: nil means KVM works.
var kvmProbes = struct {
	sync.Mutex
	verdict map[string]error
}{verdict: map[string]error{}}

// DetectAccel decides the accelerator for qemuBinary: want is "auto",
// "kvm" or "tcg". KVM is judged by trying it, not by /dev/kvm being there
// (on a nested host /dev/kvm exists, yet QEMU aborts with "failed to set
// MSR"): a throwaway QEMU starts with -accel kvm -cpu host, its vCPUs run
// a moment, and QMP must still report it running. "auto" falls back to TCG
// and logs why; "kvm" fails with ErrKVMUnavailable. The verdict is cached
// per binary (a cancelled probe is not cached). Logs go to slog.Default().
func DetectAccel(ctx context.Context, qemuBinary string, want string) (string, error) {
	switch want {
	case AccelTCG:
		return AccelTCG, nil
	case AccelKVM, AccelAuto:
	default:
		return "", fmt.Errorf("accelerator %q: must be auto, kvm or tcg", want)
	}
	err := cachedKVMProbe(ctx, qemuBinary)
	switch {
	case err == nil:
		return AccelKVM, nil
	case ctx.Err() != nil:
		return "", fmt.Errorf("detecting the accelerator: %w", ctx.Err())
	case want == AccelKVM:
		return "", fmt.Errorf("accelerator kvm: %w", err)
	}
	slog.Default().Warn("qemu: kvm does not work here; using tcg (software emulation)", "reason", err.Error())
	return AccelTCG, nil
}

func cachedKVMProbe(ctx context.Context, bin string) error {
	kvmProbes.Lock()
	defer kvmProbes.Unlock()
	if verdict, ok := kvmProbes.verdict[bin]; ok {
		return verdict
	}
	err := probeKVM(ctx, bin)
	if ctx.Err() == nil {
		kvmProbes.verdict[bin] = err
	}
	return err
}

// probeKVM runs a throwaway QEMU on KVM; nil means KVM ran guest code.
func probeKVM(ctx context.Context, bin string) error {
	if _, err := os.Stat("/dev/kvm"); err != nil {
		return fmt.Errorf("%w: %w", ErrKVMUnavailable, err)
	}
	dir, err := os.MkdirTemp("", "vigil-kvm-probe-")
	if err != nil {
		return fmt.Errorf("kvm probe: %w", err)
	}
	defer os.RemoveAll(dir)
	ctx, cancel := context.WithTimeout(ctx, kvmProbeTimeout)
	defer cancel()

	sock := filepath.Join(dir, "qmp.sock")
	var stderr bytes.Buffer
	cmd := exec.Command(bin, "-accel", "kvm", "-machine", "q35", "-cpu", "host", "-m", "16",
		"-nodefaults", "-no-user-config", "-display", "none", "-S",
		"-chardev", "socket,id=qmp,path="+optEscape(sock)+",server=on,wait=off", "-mon", "chardev=qmp,mode=control")
	cmd.Stderr = &stderr
	cmd.Env = qemuEnv
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("kvm probe: starting %s: %w", bin, err)
	}
	exited := make(chan struct{})
	go func() { cmd.Wait(); close(exited) }()
	defer func() { cmd.Process.Kill(); <-exited }()

	err = runKVMProbe(ctx, sock, exited)
	select {
	case <-exited: // stderr is complete only once QEMU is gone
		return fmt.Errorf("%w: qemu exited: %s", ErrKVMUnavailable, firstLine(stderr.String()))
	default:
	}
	if err != nil {
		return fmt.Errorf("%w: %w", ErrKVMUnavailable, err)
	}
	return nil
}

// runKVMProbe connects to the probe QEMU, checks query-kvm, runs the vCPUs
// for kvmSettle and checks they still run.
func runKVMProbe(ctx context.Context, sock string, exited <-chan struct{}) error {
	client, err := dialUntil(ctx, sock, exited)
	if err != nil {
		return err
	}
	defer client.Close()
	var kvm struct{ Enabled, Present bool }
	if err := client.Execute(ctx, "query-kvm", nil, &kvm); err != nil {
		return err
	}
	if !kvm.Enabled || !kvm.Present {
		return fmt.Errorf("query-kvm: enabled %t, present %t", kvm.Enabled, kvm.Present)
	}
	if err := client.Cont(ctx); err != nil {
		return err
	}
	select {
	case <-exited:
		return errors.New("qemu exited once the vcpus ran")
	case <-ctx.Done():
		return ctx.Err()
	case <-time.After(kvmSettle):
	}
	st, err := client.QueryStatus(ctx)
	if err != nil {
		return err
	}
	if st.Status != qmp.StateRunning {
		return fmt.Errorf("vcpus are %s, not running", st.Status)
	}
	return nil
}

// dialUntil dials QMP until it answers, QEMU exits or ctx ends.
func dialUntil(ctx context.Context, sock string, exited <-chan struct{}) (*qmp.Client, error) {
	opts := qmp.Options{Logger: slog.New(slog.DiscardHandler)}
	for {
		client, err := qmp.Dial(ctx, sock, opts)
		if err == nil {
			return client, nil
		}
		select {
		case <-exited:
			return nil, errors.New("qemu exited")
		case <-ctx.Done():
			return nil, fmt.Errorf("qmp did not answer: %w (last: %w)", ctx.Err(), err)
		case <-time.After(startPollInterval):
		}
	}
}

// firstLine picks QEMU's first error line ("failed to set MSR 0x10a ...").
func firstLine(s string) string {
	for _, line := range strings.Split(s, "\n") {
		if line = strings.TrimSpace(line); line != "" {
			return strings.TrimPrefix(line, "qemu-system-x86_64: ")
		}
	}
	return "(no output)"
}
