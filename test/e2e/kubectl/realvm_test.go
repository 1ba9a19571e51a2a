package kubectl

import (
	"strings"
	"testing"
	"time"

	"vigil.dev/vigil/test/e2e/framework"
)

// probedVM is the tiny guest with a guest-agent readiness probe: Ready
// comes from the node agent's prober, not from the test.
const probedVM = `apiVersion: kubevirt.io/v1
kind: VirtualMachine
metadata:
  name: real
spec:
  runStrategy: Always
  template:
    spec:
      terminationGracePeriodSeconds: 10
      readinessProbe:
        guestAgentPing: {}
        periodSeconds: 2
        timeoutSeconds: 1
      domain:
        memory:
          guest: 192Mi
        firmware:
          kernelBoot:
            kernelArgs: console=ttyS0 panic=-1
            container:
              image: tiny
`

// TestKubectlWaitOnARealVM waits with kubectl for a real VM (QEMU, the
// tiny guest, its guest agent) to become Ready through its readiness probe.
func TestKubectlWaitOnARealVM(t *testing.T) {
	k := startKube(t, framework.Options{Tiny: true})
	k.timeout = 5 * time.Minute // kubectl wait's own --timeout is 4m
	k.must([]byte(probedVM), "apply", "-f", "-")
	// A tiny guest boots in seconds with KVM and in about a minute under
	// TCG on a busy machine; the probe then needs its agent.
	out := k.must(nil, "wait", "vm/real", "--for=condition=Ready", "--timeout=4m")
	if !strings.Contains(out, "condition met") {
		t.Fatalf("wait: %q", out)
	}
	rows := table(k.must(nil, "get", "vmi", "real"))
	if len(rows) != 2 || rows[1][2] != "Running" || rows[1][3] == "<none>" || rows[1][5] != "True" {
		t.Errorf("get vmi: %q", rows)
	}
	k.must(nil, "delete", "vm", "real", "--timeout=2m")
}
