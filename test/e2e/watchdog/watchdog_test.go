package watchdog

import (
	"strings"
	"sync"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"

	v1 "vigil.dev/vigil/api/v1"
	"vigil.dev/vigil/test/e2e/framework"
)

const (
	ns   = "default"
	boot = 4 * time.Minute
	// fire bounds the device's own timeout (the guest's watchdog.conf
	// sets 10 s) plus reaction, on a busy machine.
	fire = 3 * time.Minute
)

type outcome struct {
	phase     v1.VirtualMachineInstancePhase
	reason    string
	replaced  bool // a new VMI follows
	sameAfter bool // the VMI stays Running with the same UID (reset)
}

// Each action under the run strategies of the table in kubevirt-compat.md,
// triggered as the seed says: `pkill -9 watchdog` in the guest (through the
// guest agent), or a kernel panic (`echo c > /proc/sysrq-trigger`) in a
// guest booted with panic=0.
func TestWatchdogActions(t *testing.T) {
	d := framework.StartDaemon(t, framework.Options{InTestNetns: true, Tiny: true,
		Args: []string{"--bridge", "vigilwd", "--subnet", "10.89.60.0/24"}})
	rec := d.RecordVMIs(ns)
	cases := []struct {
		vm      framework.VMSpec
		running bool // use the seed's `running: true` instead of a strategy
		trigger string
		want    outcome
	}{
		{framework.VMSpec{Name: "poweroff-always", Strategy: "Always", Watchdog: "poweroff"}, false,
			"pkill -9 watchdog", outcome{phase: v1.Failed, reason: v1.WatchdogPoweroffReason, replaced: true}},
		{framework.VMSpec{Name: "poweroff-manual", Strategy: "Manual", Watchdog: "poweroff"}, false,
			"pkill -9 watchdog", outcome{phase: v1.Failed, reason: v1.WatchdogPoweroffReason}},
		{framework.VMSpec{Name: "poweroff-running", Watchdog: "poweroff"}, true,
			"pkill -9 watchdog", outcome{phase: v1.Failed, reason: v1.WatchdogPoweroffReason, replaced: true}},
		{framework.VMSpec{Name: "reset-always", Strategy: "Always", Watchdog: "reset"}, false,
			"pkill -9 watchdog", outcome{sameAfter: true}},
		{framework.VMSpec{Name: "shutdown-always", Strategy: "Always", Watchdog: "shutdown"}, false,
			"pkill -9 watchdog", outcome{phase: v1.Succeeded, reason: v1.WatchdogShutdownReason, replaced: true}},
		{framework.VMSpec{Name: "shutdown-rerun", Strategy: "RerunOnFailure", Watchdog: "shutdown"}, false,
			"pkill -9 watchdog", outcome{phase: v1.Succeeded, reason: v1.WatchdogShutdownReason}},
		{framework.VMSpec{Name: "panic-poweroff", Strategy: "Manual", Watchdog: "poweroff", KernelArgs: "console=ttyS0 panic=0"}, false,
			"echo c > /proc/sysrq-trigger", outcome{phase: v1.Failed, reason: v1.WatchdogPoweroffReason}},
	}
	for _, c := range cases {
		m := string(c.vm.Manifest())
		if c.running {
			m = strings.Replace(m, "  runStrategy: \n", "  running: true\n", 1)
		}
		d.MustVigil([]byte(m), "create", "-f", "-")
		if c.vm.Strategy == "Manual" {
			d.MustVigil(nil, "start", c.vm.Name)
		}
	}
	var wg sync.WaitGroup
	for _, c := range cases {
		wg.Add(1)
		go func() {
			defer wg.Done()
			check(t, d, rec, c.vm.Name, c.trigger, c.want)
		}()
	}
	wg.Wait()
}

func check(t *testing.T, d *framework.Daemon, rec *framework.VMIRecorder, name, trigger string, want outcome) {
	first := d.WaitVMI(ns, name, boot, "Running with the agent and /dev/watchdog in use", func(vmi *v1.VirtualMachineInstance) bool {
		return vmi.Status.Phase == v1.Running && framework.Condition(vmi, v1.VirtualMachineInstanceAgentConnected) == "True"
	})
	// The seed's check: the device is on the PCI bus and the daemon feeds it.
	if r := d.Vigil(nil, "guest-exec", name, "--", "lspci"); !strings.Contains(r.Stdout, "6300ESB") && !strings.Contains(r.Stdout, "25ab") {
		t.Errorf("%s: lspci does not list the i6300esb:\n%s", name, r.Stdout)
	}
	waitWatchdogDaemon(t, d, name)
	triggered := time.Now()
	d.Vigil(nil, "guest-exec", name, "--timeout", "5s", "--", "sh", "-c", trigger)

	if want.sameAfter {
		vmi := d.WaitVMI(ns, name, fire, "a watchdog firing counted", func(vmi *v1.VirtualMachineInstance) bool {
			return vmi.Status.Watchdog != nil && vmi.Status.Watchdog.Firings >= 1
		})
		if vmi.UID != first.UID || vmi.Status.Watchdog.LastAction != "reset" {
			t.Errorf("%s: after a reset: %s, watchdog %+v", name, framework.DescribeVMI(vmi), vmi.Status.Watchdog)
		}
		// Rebooted in place: the guest comes back and its agent answers.
		framework.Eventually(t, boot, name+": the guest back after the reset", func() (bool, string) {
			r := d.Vigil(nil, "guest-exec", name, "--", "cat", "/proc/uptime")
			return r.Code == 0 && d.VMI(ns, name).UID == first.UID, r.Stderr
		})
	} else {
		end := rec.WaitEnded(d, string(first.UID), fire)
		if end.Status.Phase != want.phase || end.Status.Reason != want.reason {
			t.Errorf("%s: ended %s/%s, want %s/%s", name, end.Status.Phase, end.Status.Reason, want.phase, want.reason)
		}
		if w := end.Status.Watchdog; w == nil || w.Firings < 1 {
			t.Errorf("%s: the firing is not counted in status: %+v", name, w)
		}
		if want.replaced {
			next := d.WaitVMI(ns, name, boot, "a new VMI running", func(vmi *v1.VirtualMachineInstance) bool {
				return vmi.UID != first.UID && vmi.Status.Phase == v1.Running
			})
			fired := rec.FirstSeen(string(first.UID), func(v *v1.VirtualMachineInstance) bool {
				return v.Status.Watchdog != nil && v.Status.Watchdog.Firings > 0
			})
			running := rec.FirstSeen(string(next.UID), func(v *v1.VirtualMachineInstance) bool { return v.Status.Phase == v1.Running })
			t.Logf("%s: feeding stopped → firing stored %s, → new VMI Running %s",
				name, fired.Sub(triggered).Round(time.Millisecond), running.Sub(triggered).Round(time.Millisecond))
		} else {
			framework.Never(t, 10*time.Second, name+": a new VMI", func() (bool, string) {
				vmi := d.VMI(ns, name)
				return vmi != nil && vmi.UID != first.UID, "replaced"
			})
		}
	}
	if !hasEvent(d, string(first.UID), "WatchdogFired") {
		t.Errorf("%s: no WatchdogFired event on the VMI", name)
	}
}

// waitWatchdogDaemon waits for the guest's watchdog daemon to run and the
// device to be armed (it is when the daemon opens /dev/watchdog; the
// kernel says so in sysfs): before that, nothing can fire.
func waitWatchdogDaemon(t *testing.T, d *framework.Daemon, name string) {
	t.Helper()
	framework.Eventually(t, time.Minute, name+": the watchdog daemon to run and arm the device", func() (bool, string) {
		r := d.Vigil(nil, "guest-exec", name, "--", "sh", "-c",
			"pidof watchdog && cat /sys/class/watchdog/watchdog0/state")
		return r.Code == 0 && strings.Contains(r.Stdout, "active"), r.Stdout + r.Stderr
	})
}

func hasEvent(d *framework.Daemon, uid, reason string) bool {
	for _, e := range d.Events(ns) {
		if string(e.InvolvedObject.UID) == uid && e.Reason == reason && e.Type == corev1.EventTypeWarning {
			return true
		}
	}
	return false
}

// A guest too hung to obey the watchdog's ACPI shutdown keeps running; after
// the grace period a Warning event says the shutdown was ignored.
func TestWatchdogShutdownIgnoredByAHungGuest(t *testing.T) {
	d := framework.StartDaemon(t, framework.Options{InTestNetns: true, Tiny: true,
		Args: []string{"--bridge", "vigilwh", "--subnet", "10.89.61.0/24"}})
	vm := framework.VMSpec{Name: "hung", Strategy: "Always", Watchdog: "shutdown", KernelArgs: "console=ttyS0 panic=0", Grace: 5}
	d.MustVigil(vm.Manifest(), "create", "-f", "-")
	first := d.WaitVMI(ns, "hung", boot, "Running with the agent", func(vmi *v1.VirtualMachineInstance) bool {
		return vmi.Status.Phase == v1.Running && framework.Condition(vmi, v1.VirtualMachineInstanceAgentConnected) == "True"
	})
	waitWatchdogDaemon(t, d, "hung")
	d.Vigil(nil, "guest-exec", "hung", "--timeout", "5s", "--", "sh", "-c", "echo c > /proc/sysrq-trigger")
	framework.Eventually(t, fire, "a WatchdogShutdownIgnored event", func() (bool, string) {
		return hasEvent(d, string(first.UID), "WatchdogShutdownIgnored"), "none yet"
	})
	if vmi := d.VMI(ns, "hung"); vmi.UID != first.UID || vmi.Status.Phase != v1.Running {
		t.Errorf("the hung guest was acted on: %s", framework.DescribeVMI(vmi))
	}
}
