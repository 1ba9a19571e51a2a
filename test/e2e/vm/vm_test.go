package vm

import (
	"strings"
	"syscall"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"

	v1 "vigil.dev/vigil/api/v1"
	"vigil.dev/vigil/test/e2e/framework"
)

// A Manual VM: boots the tiny guest with user-data, serves HTTP to the host,
// refuses a closed port, runs guest commands, logs its boot, ends Succeeded
// on an in-guest poweroff and Failed when QEMU is killed, and is not
// restarted either time.
func TestManualVMLifecycle(t *testing.T) {
	t.Parallel()
	d := startDaemon(t)
	d.MustVigil(vmManifest("manual", "Manual"), "create", "-f", "-")
	d.MustVigil(nil, "start", "manual")
	vmi := running(t, d, "manual", "")
	ip := framework.IP(vmi)

	waitHTTP(t, ip)
	if code, err := httpGet(ip, false); err != nil || code != 403 {
		t.Errorf("without the header: %d %v, want 403", code, err)
	}
	if err := refused(ip, 1501); err != nil {
		t.Error(err)
	}

	r := guestExec(d, "manual", "sh", "-c", "echo out; echo err >&2; exit 3")
	if r.Code != 3 || strings.TrimSpace(r.Stdout) != "out" || strings.TrimSpace(r.Stderr) != "err" {
		t.Errorf("guest-exec: exit %d stdout %q stderr %q", r.Code, r.Stdout, r.Stderr)
	}
	if out := d.MustVigil(nil, "logs", "manual"); !strings.Contains(out, "vigil-init: ready") {
		t.Errorf("the serial log lacks the boot:\n%s", out)
	}
	if vmi.Status.GuestOSInfo.ID == "" && d.VMI(ns, "manual").Status.GuestOSInfo.ID == "" {
		t.Errorf("no guestOSInfo from the agent: %+v", d.VMI(ns, "manual").Status.GuestOSInfo)
	}

	guestExec(d, "manual", "poweroff") // the agent may die before it answers
	done := ended(t, d, "manual", string(vmi.UID))
	if done.UID != vmi.UID || done.Status.Phase != v1.Succeeded {
		t.Fatalf("after an in-guest poweroff: %s", framework.DescribeVMI(done))
	}
	if framework.QEMUPid(string(vmi.UID)) != 0 {
		t.Error("QEMU still runs after the guest powered off")
	}
	if !hasEvent(d, string(vmi.UID), corev1.EventTypeNormal, "Stopped", "The VirtualMachineInstance was shut down.") {
		t.Errorf("no Normal Stopped event for %s: %v", vmi.UID, d.Events(ns))
	}
	sameVMI(t, d, "manual", string(vmi.UID))

	d.MustVigil(nil, "start", "manual")
	second := running(t, d, "manual", string(vmi.UID))
	pid := framework.QEMUPid(string(second.UID))
	if pid == 0 {
		t.Fatalf("no QEMU process names VMI %s", second.UID)
	}
	if err := syscall.Kill(pid, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	done = ended(t, d, "manual", string(second.UID))
	if done.UID != second.UID || done.Status.Phase != v1.Failed {
		t.Fatalf("after kill -9 of QEMU: %s", framework.DescribeVMI(done))
	}
	if !hasEvent(d, string(second.UID), corev1.EventTypeWarning, "Stopped", "The VirtualMachineInstance crashed.") {
		t.Errorf("no Warning Stopped event for %s: %v", second.UID, d.Events(ns))
	}
	sameVMI(t, d, "manual", string(second.UID))
}

// An Always VM survives a kill -9 of the daemon (same QEMU, same VMI,
// agent reconnected), and gets a new VMI when QEMU is killed and when the
// guest powers off.
func TestAlwaysVMRestartSafetyAndReplacement(t *testing.T) {
	t.Parallel()
	d := startDaemon(t)
	d.MustVigil(vmManifest("always", "Always"), "create", "-f", "-")
	first := running(t, d, "always", "")
	pid := framework.QEMUPid(string(first.UID))
	if pid == 0 {
		t.Fatalf("no QEMU process names VMI %s", first.UID)
	}
	waitHTTP(t, framework.IP(first))

	d.Kill9()
	if framework.QEMUPid(string(first.UID)) != pid {
		t.Fatal("QEMU did not outlive the daemon")
	}
	d.Start()
	again := running(t, d, "always", "")
	if again.UID != first.UID || framework.QEMUPid(string(first.UID)) != pid {
		t.Fatalf("after a daemon restart: VMI %s (was %s), QEMU pid %d (was %d)", again.UID, first.UID, framework.QEMUPid(string(first.UID)), pid)
	}
	if n := countPhase(again, v1.Running); n != 1 {
		t.Errorf("the VMI entered Running %d times: it was restarted", n)
	}
	waitHTTP(t, framework.IP(again))
	if r := guestExec(d, "always", "true"); r.Code != 0 {
		t.Errorf("guest agent after the restart: exit %d %s", r.Code, r.Stderr)
	}

	if err := syscall.Kill(pid, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	second := running(t, d, "always", string(first.UID))
	if !hasEvent(d, string(first.UID), corev1.EventTypeWarning, "Stopped", "The VirtualMachineInstance crashed.") {
		t.Errorf("no Warning Stopped event for %s", first.UID)
	}

	guestExec(d, "always", "poweroff")
	running(t, d, "always", string(second.UID))
	if !hasEvent(d, string(second.UID), corev1.EventTypeNormal, "Stopped", "The VirtualMachineInstance was shut down.") {
		t.Errorf("no Normal Stopped event for %s", second.UID)
	}

	// Deleting the VM stops its QEMU and removes the VMI.
	last := d.VMI(ns, "always")
	d.MustVigil(nil, "delete", "vm", "always", "--timeout", "2m")
	framework.Eventually(t, time.Minute, "QEMU of a deleted VM to end", func() (bool, string) {
		return framework.QEMUPid(string(last.UID)) == 0 && d.VMI(ns, "always") == nil, "still there"
	})
}

func hasEvent(d *framework.Daemon, uid, typ, reason, message string) bool {
	for _, e := range d.Events(ns) {
		if string(e.InvolvedObject.UID) == uid && e.Type == typ && e.Reason == reason && e.Message == message {
			return true
		}
	}
	return false
}

func sameVMI(t *testing.T, d *framework.Daemon, name, uid string) {
	t.Helper()
	framework.Never(t, 5*time.Second, "a new VMI for "+name, func() (bool, string) {
		vmi := d.VMI(ns, name)
		return vmi != nil && string(vmi.UID) != uid, "new VMI"
	})
}

func countPhase(vmi *v1.VirtualMachineInstance, p v1.VirtualMachineInstancePhase) int {
	n := 0
	for _, ts := range vmi.Status.PhaseTransitionTimestamps {
		if ts.Phase == p {
			n++
		}
	}
	return n
}
