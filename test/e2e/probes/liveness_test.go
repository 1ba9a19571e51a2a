package probes

import (
	"sync"
	"testing"
	"time"

	v1 "vigil.dev/vigil/api/v1"
	"vigil.dev/vigil/test/e2e/framework"
)

// Liveness on real guests:
//   - tcpSocket with no listener: the VMI ends Failed, reason
//     LivenessProbeFailed; Always makes a new VMI (new UID), Manual does not;
//   - httpGet: the guest's server stopped → the VM is replaced and the new
//     VMI becomes Ready;
//   - guestAgentPing: the agent stopped → replaced.
//
// liveDelay gives a guest time to boot before liveness counts, as a user
// must (four tiny guests booting at once under TCG take up to ~20 s);
// without it a replacement VMI is killed while it boots.
const liveDelay = 40

func TestLivenessProbes(t *testing.T) {
	d := startDaemon(t)
	rec := d.RecordVMIs(ns)
	web := framework.WebServer(200)
	vms := []framework.VMSpec{
		{Name: "live-tcp-always", Strategy: "Always", UserData: web, Liveness: probe(tcpClosed, 2, 1, 3, 1, liveDelay)},
		{Name: "live-tcp-manual", Strategy: "Manual", UserData: web, Liveness: probe(tcpClosed, 2, 1, 3, 1, liveDelay)},
		{Name: "live-http", Strategy: "Always", UserData: web,
			Readiness: probe(httpHeader, 2, 1, 3, 1, 0), Liveness: probe(httpHeader, 2, 1, 3, 1, liveDelay)},
		{Name: "live-ping", Strategy: "Always", Liveness: probe(agentPing, 2, 1, 3, 1, liveDelay)},
	}
	for _, vm := range vms {
		d.MustVigil(vm.Manifest(), "create", "-f", "-")
	}
	d.MustVigil(nil, "start", "live-tcp-manual")

	var wg sync.WaitGroup
	run := func(f func()) { wg.Add(1); go func() { defer wg.Done(); f() }() }

	run(func() {
		first := d.WaitVMI(ns, "live-tcp-always", boot, "a VMI", func(*v1.VirtualMachineInstance) bool { return true })
		endedFailed(t, d, rec, string(first.UID))
		d.WaitVMI(ns, "live-tcp-always", boot, "a new VMI", func(vmi *v1.VirtualMachineInstance) bool {
			return vmi.UID != first.UID
		})
	})
	run(func() {
		first := d.WaitVMI(ns, "live-tcp-manual", boot, "a VMI", func(*v1.VirtualMachineInstance) bool { return true })
		endedFailed(t, d, rec, string(first.UID))
		framework.Never(t, 10*time.Second, "a new VMI under Manual", func() (bool, string) {
			vmi := d.VMI(ns, "live-tcp-manual")
			return vmi == nil || vmi.UID != first.UID, "replaced or gone"
		})
	})
	run(func() {
		first := waitReady(t, d, "live-http", "")
		guestSh(d, "live-http", "killall nc")
		endedFailed(t, d, rec, string(first.UID))
		waitReady(t, d, "live-http", string(first.UID))
	})
	run(func() {
		first := d.WaitVMI(ns, "live-ping", boot, "agent connected", func(vmi *v1.VirtualMachineInstance) bool {
			return vmi.Status.Phase == v1.Running && framework.Condition(vmi, v1.VirtualMachineInstanceAgentConnected) == "True"
		})
		guestSh(d, "live-ping", restartAgent(600))
		endedFailed(t, d, rec, string(first.UID))
		d.WaitVMI(ns, "live-ping", boot, "a new VMI running", func(vmi *v1.VirtualMachineInstance) bool {
			return vmi.UID != first.UID && vmi.Status.Phase == v1.Running
		})
	})
	wg.Wait()
}

// endedFailed waits for the VMI with uid to end Failed with reason
// LivenessProbeFailed, as the recorder saw it (under Always the controller
// replaces it at once).
func endedFailed(t *testing.T, d *framework.Daemon, rec *framework.VMIRecorder, uid string) {
	t.Helper()
	end := rec.WaitEnded(d, uid, 2*time.Minute)
	if end.Status.Phase != v1.Failed || end.Status.Reason != v1.LivenessProbeFailedReason {
		t.Errorf("VMI %s ended %s with reason %q, want Failed/%s", uid, end.Status.Phase, end.Status.Reason, v1.LivenessProbeFailedReason)
	}
}
