package probes

import (
	"testing"
	"time"

	v1 "vigil.dev/vigil/api/v1"
	"vigil.dev/vigil/test/e2e/framework"
)

// initialDelaySeconds: no probe reaches the guest before it (the guest's
// server counts requests); successThreshold 3: Ready only after three
// consecutive successes.
func TestInitialDelayAndSuccessThreshold(t *testing.T) {
	d := startDaemon(t)
	spec := framework.VMSpec{Name: "delayed", Strategy: "Always", UserData: framework.WebServer(200),
		Readiness: probe(httpHeader, 2, 1, 3, 3, 40)}
	d.MustVigil(spec.Manifest(), "create", "-f", "-")
	vmi := d.WaitVMI(ns, "delayed", boot, "agent connected", func(vmi *v1.VirtualMachineInstance) bool {
		return framework.Condition(vmi, v1.VirtualMachineInstanceAgentConnected) == "True"
	})
	running := phaseTime(vmi, v1.Running)
	// Wait until the guest's server answers, then check it has not been probed
	// while the initial delay runs.
	framework.Eventually(t, time.Minute, "the guest's server to answer", func() (bool, string) {
		r := guestSh(d, "delayed", "wget -q -O - http://127.0.0.1:1500/other")
		return r.Code == 0, r.Stderr
	})
	if elapsed := time.Since(running); elapsed < 30*time.Second {
		if n := hits(t, d, "delayed", "/healthz"); n != 0 {
			t.Fatalf("%d probe(s) reached the guest %s after Running, before the 40 s initial delay", n, elapsed)
		}
	} else {
		t.Logf("the guest took %s to serve: the no-probe-before-delay check is vacuous this run", elapsed)
	}
	ready := waitReady(t, d, "delayed", "")
	if n := hits(t, d, "delayed", "/healthz"); n < 3 {
		t.Errorf("Ready after %d successful probes, want at least 3 (successThreshold)", n)
	}
	readyAt := conditionTime(ready, v1.VirtualMachineInstanceReady)
	if gap := readyAt.Sub(running); gap < 40*time.Second {
		t.Errorf("Ready %s after Running, before initialDelaySeconds 40 + 2 periods", gap)
	}
}

func phaseTime(vmi *v1.VirtualMachineInstance, p v1.VirtualMachineInstancePhase) time.Time {
	for _, ts := range vmi.Status.PhaseTransitionTimestamps {
		if ts.Phase == p {
			return ts.PhaseTransitionTimestamp.Time
		}
	}
	return time.Time{}
}

func conditionTime(vmi *v1.VirtualMachineInstance, c v1.VirtualMachineInstanceConditionType) time.Time {
	for _, cond := range vmi.Status.Conditions {
		if cond.Type == c {
			return cond.LastTransitionTime.Time
		}
	}
	return time.Time{}
}
