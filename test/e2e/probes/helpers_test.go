package probes

import (
	"fmt"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	v1 "vigil.dev/vigil/api/v1"
	"vigil.dev/vigil/test/e2e/framework"
)

const (
	ns   = "default"
	boot = 4 * time.Minute // several tiny guests booting at once under TCG
)

var daemons atomic.Int32

func startDaemon(t *testing.T) *framework.Daemon {
	t.Helper()
	n := daemons.Add(1) + 10
	return framework.StartDaemon(t, framework.Options{InTestNetns: true, Tiny: true, Args: []string{
		"--bridge", fmt.Sprintf("vigil%d", n), "--subnet", fmt.Sprintf("10.89.%d.0/24", n),
	}})
}

// probe renders a probe body: a handler in YAML (indented 8 spaces) plus timing.
func probe(handler string, period, timeout, failure, success, delay int) string {
	return handler + fmt.Sprintf("        periodSeconds: %d\n        timeoutSeconds: %d\n        failureThreshold: %d\n"+
		"        successThreshold: %d\n        initialDelaySeconds: %d\n", period, timeout, failure, success, delay)
}

const (
	httpHeader = "        httpGet:\n          port: 1500\n          path: /healthz\n          httpHeaders:\n          - name: Custom-Header\n            value: Awesome\n"
	httpNoHdr  = "        httpGet:\n          port: 1500\n          path: /healthz\n"
	tcpOpen    = "        tcpSocket:\n          port: 1500\n"
	tcpClosed  = "        tcpSocket:\n          port: 1501\n"
	agentPing  = "        guestAgentPing: {}\n"
)

func execProbe(argv ...string) string {
	return "        exec:\n          command: [" + `"` + strings.Join(argv, `", "`) + `"` + "]\n"
}

func ready(vmi *v1.VirtualMachineInstance) bool {
	return framework.Condition(vmi, v1.VirtualMachineInstanceReady) == "True"
}

// waitReady waits for the current VMI of name (other than uid `not`) to be Ready.
func waitReady(t *testing.T, d *framework.Daemon, name, not string) *v1.VirtualMachineInstance {
	t.Helper()
	return d.WaitVMI(ns, name, boot, "Ready", func(vmi *v1.VirtualMachineInstance) bool {
		return string(vmi.UID) != not && vmi.Status.Phase == v1.Running && ready(vmi)
	})
}

// waitNotReady waits for the VMI to be Running but not Ready.
func waitNotReady(t *testing.T, d *framework.Daemon, name string, timeout time.Duration) *v1.VirtualMachineInstance {
	t.Helper()
	return d.WaitVMI(ns, name, timeout, "Running and not Ready", func(vmi *v1.VirtualMachineInstance) bool {
		return vmi.Status.Phase == v1.Running && !ready(vmi)
	})
}

// neverReady checks the VMI stays Running and not Ready for the duration.
func neverReady(t *testing.T, d *framework.Daemon, name string, dur time.Duration) {
	t.Helper()
	framework.Never(t, dur, "VMI "+name+" to become Ready", func() (bool, string) {
		vmi := d.VMI(ns, name)
		if vmi == nil {
			return true, "the VMI is gone"
		}
		if vmi.Status.Phase != v1.Running {
			return true, "phase " + string(vmi.Status.Phase)
		}
		return ready(vmi), framework.DescribeVMI(vmi)
	})
}

// agentUp waits for the guest agent of the VM to answer.
func agentUp(t *testing.T, d *framework.Daemon, name string) {
	t.Helper()
	d.WaitVMI(ns, name, boot, "agent connected", func(vmi *v1.VirtualMachineInstance) bool {
		return framework.Condition(vmi, v1.VirtualMachineInstanceAgentConnected) == "True"
	})
}

// guestSh runs a shell command in the guest (through the guest agent).
func guestSh(d *framework.Daemon, name, script string) framework.Result {
	return d.Vigil(nil, "guest-exec", name, "--", "sh", "-c", script)
}

// hits counts the guest server's requests for a path.
func hits(t *testing.T, d *framework.Daemon, name, path string) int {
	t.Helper()
	r := guestSh(d, name, "grep -cx "+path+" /tmp/hits || true")
	n := 0
	fmt.Sscan(strings.TrimSpace(r.Stdout), &n)
	return n
}

// restartAgent is a guest script that stops the guest agent now and starts
// it again after `secs` seconds, detached from the exec that launched it.
func restartAgent(secs int) string {
	return fmt.Sprintf("(sleep 1; killall qemu-ga; sleep %d; /usr/sbin/qemu-ga -m virtio-serial -p /dev/virtio-ports/org.qemu.guest_agent.0 -d) >/dev/null 2>&1 </dev/null &", secs)
}

type v1VMI = v1.VirtualMachineInstance
