package qemu

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"strings"
	"testing"
)

func TestDetectAccelChoices(t *testing.T) {
	ctx := context.Background()
	got, err := DetectAccel(ctx, "/nonexistent/qemu", AccelTCG)
	if err != nil || got != AccelTCG {
		t.Errorf("want tcg: %q, %v; want tcg without probing", got, err)
	}
	if _, err := DetectAccel(ctx, "/nonexistent/qemu", "hvf"); err == nil || !strings.Contains(err.Error(), `"hvf"`) {
		t.Errorf("unknown accelerator: %v", err)
	}
}

// TestDetectAccelOnThisHost depends on the host: here /dev/kvm exists but
// QEMU aborts with "failed to set MSR" (nested virtualization), so auto
// must fall back to TCG, say why in its log, and kvm must fail. On a host
// where KVM works the test checks that both give kvm instead.
func TestDetectAccelOnThisHost(t *testing.T) {
	bin := qemuBinary(t)
	var logs bytes.Buffer
	old := slog.Default()
	slog.SetDefault(slog.New(slog.NewTextHandler(&logs, nil)))
	t.Cleanup(func() { slog.SetDefault(old) })

	ctx := context.Background()
	auto, err := DetectAccel(ctx, bin, AccelAuto)
	if err != nil {
		t.Fatalf("auto: %v", err)
	}
	kvm, kvmErr := DetectAccel(ctx, bin, AccelKVM)
	if auto == AccelKVM {
		if kvmErr != nil || kvm != AccelKVM {
			t.Fatalf("auto chose kvm, but kvm gives %q, %v", kvm, kvmErr)
		}
		t.Skip("kvm works on this host; the fallback is not exercised")
	}
	if auto != AccelTCG {
		t.Fatalf("auto = %q, want tcg", auto)
	}
	if !strings.Contains(logs.String(), "using tcg") || !strings.Contains(logs.String(), "reason=") {
		t.Errorf("auto's fallback log does not say why:\n%s", logs.String())
	}
	t.Logf("fallback log: %s", logs.String())
	if !errors.Is(kvmErr, ErrKVMUnavailable) {
		t.Errorf("kvm: %q, %v; want ErrKVMUnavailable", kvm, kvmErr)
	}
	kvmProbes.Lock()
	_, cached := kvmProbes.verdict[bin]
	kvmProbes.Unlock()
	if !cached {
		t.Errorf("the probe's verdict for %s is not cached", bin)
	}
}
