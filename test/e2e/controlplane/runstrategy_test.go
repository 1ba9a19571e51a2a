package controlplane

import (
	"strings"
	"testing"
	"time"

	v1 "vigil.dev/vigil/api/v1"
	"vigil.dev/vigil/test/e2e/framework"
)

const ns = "default"

// Each run strategy creates a VMI, or not, exactly as KubeVirt's table says,
// and replaces it, or not, when it ends; the test plays the node's part by
// moving VMI phases through the API.
func TestRunStrategies(t *testing.T) {
	d := startDaemon(t)

	t.Run("Always replaces a VMI that failed and one that succeeded", func(t *testing.T) {
		d.MustVigil(plainVM("always", "Always"), "create", "-f", "-")
		first := vmiAppears(t, d, ns, "always", "")
		if first.Status.Phase != v1.Pending {
			t.Errorf("new VMI phase %q, want Pending", first.Status.Phase)
		}
		setVMIPhase(t, d, ns, "always", v1.Failed, true)
		second := vmiAppears(t, d, ns, "always", string(first.UID))
		setVMIPhase(t, d, ns, "always", v1.Succeeded, true)
		vmiAppears(t, d, ns, "always", string(second.UID))
	})

	t.Run("RerunOnFailure replaces a failed VMI, keeps a succeeded one", func(t *testing.T) {
		d.MustVigil(plainVM("rerun", "RerunOnFailure"), "create", "-f", "-")
		first := vmiAppears(t, d, ns, "rerun", "")
		setVMIPhase(t, d, ns, "rerun", v1.Failed, true)
		second := vmiAppears(t, d, ns, "rerun", string(first.UID))
		setVMIPhase(t, d, ns, "rerun", v1.Succeeded, true)
		sameVMIFor(t, d, "rerun", string(second.UID), 3*time.Second)
		waitPrintableStatus(t, d, "rerun", v1.VirtualMachineStatusStopped)
	})

	t.Run("Once runs one VMI and leaves it when it ends", func(t *testing.T) {
		d.MustVigil(plainVM("once", "Once"), "create", "-f", "-")
		first := vmiAppears(t, d, ns, "once", "")
		setVMIPhase(t, d, ns, "once", v1.Failed, true)
		sameVMIFor(t, d, "once", string(first.UID), 3*time.Second)
	})

	t.Run("Manual runs nothing until started, and leaves a final VMI", func(t *testing.T) {
		d.MustVigil(plainVM("manual", "Manual"), "create", "-f", "-")
		noVMIFor(t, d, ns, "manual", 3*time.Second)
		out := d.MustVigil(nil, "start", "manual")
		if !strings.Contains(out, "manual") {
			t.Errorf("start output: %q", out)
		}
		first := vmiAppears(t, d, ns, "manual", "")
		setVMIPhase(t, d, ns, "manual", v1.Failed, true)
		sameVMIFor(t, d, "manual", string(first.UID), 3*time.Second)
	})

	t.Run("Halted runs nothing; start switches it to Always, stop back to Halted", func(t *testing.T) {
		d.MustVigil(plainVM("halted", "Halted"), "create", "-f", "-")
		noVMIFor(t, d, ns, "halted", 3*time.Second)
		waitPrintableStatus(t, d, "halted", v1.VirtualMachineStatusStopped)
		d.MustVigil(nil, "start", "halted")
		vmiAppears(t, d, ns, "halted", "")
		if s := *getVM(t, d, ns, "halted").Spec.RunStrategy; s != v1.RunStrategyAlways {
			t.Errorf("after start: runStrategy %s, want Always", s)
		}
		d.MustVigil(nil, "stop", "halted")
		framework.Eventually(t, 60*time.Second, "the VMI of halted to be deleted", func() (bool, string) {
			vmi := getVMI(t, d, ns, "halted")
			return vmi == nil, "VMI still there"
		})
		if s := *getVM(t, d, ns, "halted").Spec.RunStrategy; s != v1.RunStrategyHalted {
			t.Errorf("after stop: runStrategy %s, want Halted", s)
		}
	})

	t.Run("restart replaces the VMI", func(t *testing.T) {
		d.MustVigil(plainVM("restartme", "Always"), "create", "-f", "-")
		first := vmiAppears(t, d, ns, "restartme", "")
		d.MustVigil(nil, "restart", "restartme")
		vmiAppears(t, d, ns, "restartme", string(first.UID))
	})

	t.Run("KubeVirt's refusals", func(t *testing.T) {
		d.MustVigil(plainVM("refuse", "Always"), "create", "-f", "-")
		vmiAppears(t, d, ns, "refuse", "")
		r := d.Vigil(nil, "start", "refuse")
		if r.Code == 0 || !strings.Contains(r.Stderr, "VM is already running") {
			t.Errorf("start on a running VM: exit %d, stderr %q", r.Code, r.Stderr)
		}
		d.MustVigil(plainVM("refuse-once", "Once"), "create", "-f", "-")
		vmiAppears(t, d, ns, "refuse-once", "")
		setVMIPhase(t, d, ns, "refuse-once", v1.Failed, true)
		r = d.Vigil(nil, "start", "refuse-once")
		if r.Code == 0 || !strings.Contains(r.Stderr, "Once does not support manual start requests") {
			t.Errorf("start on Once: exit %d, stderr %q", r.Code, r.Stderr)
		}
		d.MustVigil(plainVM("refuse-halted", "Halted"), "create", "-f", "-")
		r = d.Vigil(nil, "restart", "refuse-halted")
		if r.Code == 0 || !strings.Contains(r.Stderr, "Halted does not support manual restart requests") {
			t.Errorf("restart on Halted: exit %d, stderr %q", r.Code, r.Stderr)
		}
	})

	t.Run("deleting a VM deletes its VMI", func(t *testing.T) {
		d.MustVigil(plainVM("gone", "Always"), "create", "-f", "-")
		vmiAppears(t, d, ns, "gone", "")
		out := d.MustVigil(nil, "delete", "vm", "gone")
		if !strings.Contains(out, `"gone" deleted`) {
			t.Errorf("delete output %q", out)
		}
		framework.Eventually(t, 60*time.Second, "the VMI of a deleted VM to go", func() (bool, string) {
			return getVMI(t, d, ns, "gone") == nil, "VMI still there"
		})
		noVMIFor(t, d, ns, "gone", 2*time.Second)
	})
}

// A VMI that ends without ever running starts the crash-loop backoff: the VM
// shows CrashLoopBackOff and the next VMI comes only after the delay.
func TestCrashLoopBackoff(t *testing.T) {
	d := startDaemon(t)
	d.MustVigil(plainVM("crashy", "Always"), "create", "-f", "-")
	first := vmiAppears(t, d, ns, "crashy", "")
	failedAt := time.Now()
	setVMIPhase(t, d, ns, "crashy", v1.Failed, false)
	waitPrintableStatus(t, d, "crashy", v1.VirtualMachineStatusCrashLoopBackOff)
	vm := getVM(t, d, ns, "crashy")
	if vm.Status.StartFailure == nil || vm.Status.StartFailure.ConsecutiveFailCount != 1 {
		t.Fatalf("startFailure: %+v", vm.Status.StartFailure)
	}
	vmiAppears(t, d, ns, "crashy", string(first.UID))
	// The first delay is 10 s plus up to 5 s of jitter.
	if waited := time.Since(failedAt); waited < 9*time.Second {
		t.Errorf("the next VMI came after %s, before the 10 s backoff", waited)
	}
	setVMIPhase(t, d, ns, "crashy", v1.Running, false)
	framework.Eventually(t, 30*time.Second, "the crash loop to be forgotten once a VMI runs", func() (bool, string) {
		vm := getVM(t, d, ns, "crashy")
		return vm.Status.StartFailure == nil && vm.Status.PrintableStatus == v1.VirtualMachineStatusRunning,
			string(vm.Status.PrintableStatus)
	})
}

func sameVMIFor(t *testing.T, d *framework.Daemon, name, uid string, dur time.Duration) {
	t.Helper()
	framework.Never(t, dur, "the VMI of "+name+" to be replaced", func() (bool, string) {
		vmi := getVMI(t, d, ns, name)
		if vmi == nil {
			return true, "the VMI was deleted"
		}
		return string(vmi.UID) != uid, "new uid " + string(vmi.UID)
	})
}

func waitPrintableStatus(t *testing.T, d *framework.Daemon, name string, want v1.VirtualMachinePrintableStatus) {
	t.Helper()
	framework.Eventually(t, 60*time.Second, "VM "+name+" printableStatus "+string(want), func() (bool, string) {
		vm := getVM(t, d, ns, name)
		if vm == nil {
			return false, "no VM"
		}
		return vm.Status.PrintableStatus == want, "status " + string(vm.Status.PrintableStatus)
	})
}
