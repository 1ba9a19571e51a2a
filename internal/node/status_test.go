package node

import (
	"net/netip"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"

	v1 "vigil.dev/vigil/api/v1"
)

var t0 = time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)

func cond(vmi *v1.VirtualMachineInstance, t v1.VirtualMachineInstanceConditionType) *v1.VirtualMachineInstanceCondition {
	for i := range vmi.Status.Conditions {
		if vmi.Status.Conditions[i].Type == t {
			return &vmi.Status.Conditions[i]
		}
	}
	return nil
}

func wantCond(t *testing.T, vmi *v1.VirtualMachineInstance, typ v1.VirtualMachineInstanceConditionType, status corev1.ConditionStatus, reason string) {
	t.Helper()
	c := cond(vmi, typ)
	switch {
	case c == nil && status == "":
	case c == nil:
		t.Errorf("%s: missing, want %s/%s", typ, status, reason)
	case status == "":
		t.Errorf("%s: %s/%s, want none", typ, c.Status, c.Reason)
	case c.Status != status || c.Reason != reason:
		t.Errorf("%s: %s/%s, want %s/%s", typ, c.Status, c.Reason, status, reason)
	}
}

func withReadinessProbe(vmi *v1.VirtualMachineInstance) {
	vmi.Spec.ReadinessProbe = &v1.Probe{}
}

func TestApplyRunningReady(t *testing.T) {
	tests := []struct {
		name       string
		opts       []func(*v1.VirtualMachineInstance)
		obs        observation
		wantStatus corev1.ConditionStatus
		wantReason string
	}{
		{"no probe: ready while running", nil, observation{}, corev1.ConditionTrue, ""},
		{"probe, nothing published yet", []func(*v1.VirtualMachineInstance){withReadinessProbe}, observation{},
			corev1.ConditionFalse, ReasonReadinessProbePending},
		{"probe published ready", []func(*v1.VirtualMachineInstance){withReadinessProbe},
			observation{Readiness: &Readiness{Ready: true}}, corev1.ConditionTrue, ""},
		{"probe published failure", []func(*v1.VirtualMachineInstance){withReadinessProbe},
			observation{Readiness: &Readiness{Reason: "ReadinessProbeFailed"}}, corev1.ConditionFalse, "ReadinessProbeFailed"},
		{"terminating beats everything", []func(*v1.VirtualMachineInstance){withReadinessProbe},
			observation{Terminating: true, Readiness: &Readiness{Ready: true}}, corev1.ConditionFalse, ReasonTerminating},
		{"terminating without probe", nil, observation{Terminating: true}, corev1.ConditionFalse, ReasonTerminating},
		{"paused is not ready", nil, observation{Paused: true}, corev1.ConditionFalse, ReasonPaused},
		{"paused over a ready probe", []func(*v1.VirtualMachineInstance){withReadinessProbe},
			observation{Paused: true, Readiness: &Readiness{Ready: true}}, corev1.ConditionFalse, ReasonPaused},
		{"terminating over paused", nil, observation{Paused: true, Terminating: true}, corev1.ConditionFalse, ReasonTerminating},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			vmi := vmiIn(v1.Scheduled, "n", tt.opts...)
			if !applyRunning(vmi, runningInputs{Obs: tt.obs, Now: t0}) {
				t.Fatal("applyRunning reported no change on a Scheduled VMI")
			}
			if vmi.Status.Phase != v1.Running {
				t.Errorf("phase %s, want Running", vmi.Status.Phase)
			}
			wantCond(t, vmi, v1.VirtualMachineInstanceReady, tt.wantStatus, tt.wantReason)
			if applyRunning(vmi, runningInputs{Obs: tt.obs, Now: t0.Add(time.Minute)}) {
				t.Error("a second applyRunning with the same inputs reported a change")
			}
		})
	}
}

func TestApplyRunningAgentAndPaused(t *testing.T) {
	vmi := vmiIn(v1.Running, "n")
	applyRunning(vmi, runningInputs{Obs: observation{}, Now: t0})
	wantCond(t, vmi, v1.VirtualMachineInstanceAgentConnected, "", "")

	applyRunning(vmi, runningInputs{Obs: observation{AgentKnown: true, AgentConnected: true, Paused: true}, Now: t0})
	wantCond(t, vmi, v1.VirtualMachineInstanceAgentConnected, corev1.ConditionTrue, "")
	wantCond(t, vmi, v1.VirtualMachineInstancePaused, corev1.ConditionTrue, ReasonPausedByUser)

	// Unknown again (a restart): the condition stays as it is.
	if applyRunning(vmi, runningInputs{Obs: observation{Paused: true}, Now: t0}) {
		t.Error("an unknown agent state changed the status")
	}
	applyRunning(vmi, runningInputs{Obs: observation{AgentKnown: true}, Now: t0.Add(time.Second)})
	wantCond(t, vmi, v1.VirtualMachineInstanceAgentConnected, corev1.ConditionFalse, ReasonAgentNotResponding)
	wantCond(t, vmi, v1.VirtualMachineInstancePaused, "", "")
	if c := cond(vmi, v1.VirtualMachineInstanceAgentConnected); !c.LastTransitionTime.Time.Equal(t0.Add(time.Second)) {
		t.Errorf("AgentConnected transition time %v, want %v", c.LastTransitionTime, t0.Add(time.Second))
	}
}

func TestApplyRunningKeepsPhaseHistoryAndFinal(t *testing.T) {
	vmi := vmiIn(v1.Pending, "")
	applyScheduled(vmi, "n", &netInfo{Name: "default", IP: netip.MustParseAddr("10.0.0.2"), MAC: "02:00:00:00:00:02"}, t0)
	applyRunning(vmi, runningInputs{Now: t0.Add(time.Second)})
	applyFinal(vmi, final{Phase: v1.Failed, Reason: ReasonCrashed, Message: "boom"}, t0.Add(2*time.Second))
	var phases []v1.VirtualMachineInstancePhase
	for _, p := range vmi.Status.PhaseTransitionTimestamps {
		phases = append(phases, p.Phase)
	}
	if len(phases) != 3 || phases[0] != v1.Scheduled || phases[1] != v1.Running || phases[2] != v1.Failed {
		t.Errorf("phase transitions %v, want [Scheduled Running Failed]", phases)
	}
	if vmi.Status.Reason != ReasonCrashed || vmi.Status.Message != "boom" {
		t.Errorf("reason/message %q/%q", vmi.Status.Reason, vmi.Status.Message)
	}
	wantCond(t, vmi, v1.VirtualMachineInstanceReady, corev1.ConditionFalse, v1.GuestNotRunningReason)
	if applyRunning(vmi, runningInputs{Now: t0.Add(3 * time.Second)}) {
		t.Error("applyRunning changed a final VMI")
	}
	if applyFinal(vmi, final{Phase: v1.Succeeded}, t0.Add(4*time.Second)) {
		t.Error("applyFinal changed a final VMI")
	}
}

func TestApplyScheduledOnlyOnce(t *testing.T) {
	vmi := vmiIn(v1.Pending, "")
	vmi.Status.Reason = ReasonUnschedulable
	ni := &netInfo{Name: "default", IP: netip.MustParseAddr("10.0.0.2"), MAC: "02:00:00:00:00:02"}
	if !applyScheduled(vmi, "n", ni, t0) {
		t.Fatal("applyScheduled: no change")
	}
	st := vmi.Status
	if st.NodeName != "n" || st.Phase != v1.Scheduled || st.Reason != "" || len(st.Interfaces) != 1 ||
		st.Interfaces[0].IP != "10.0.0.2" || st.Interfaces[0].MAC != ni.MAC {
		t.Errorf("status after scheduling: %+v", st)
	}
	wantCond(t, vmi, v1.VirtualMachineInstanceReady, corev1.ConditionFalse, v1.GuestNotRunningReason)
	if applyScheduled(vmi, "other", ni, t0) {
		t.Error("applyScheduled took a VMI that has a node")
	}
}

func TestApplyUnschedulable(t *testing.T) {
	vmi := vmiIn(v1.Pending, "")
	if !applyUnschedulable(vmi, "m") || applyUnschedulable(vmi, "m") {
		t.Error("want one change, then none")
	}
	if vmi.Status.Reason != ReasonUnschedulable || vmi.Status.Message != "m" {
		t.Errorf("reason/message %q/%q", vmi.Status.Reason, vmi.Status.Message)
	}
	if applyUnschedulable(vmiIn(v1.Scheduled, "n"), "m") {
		t.Error("a scheduled VMI was marked unschedulable")
	}
}

func TestApplyRunningWatchdogCountsOnTopOfTheBase(t *testing.T) {
	vmi := vmiIn(v1.Running, "n")
	fired := t0.Add(1500 * time.Millisecond) // sub-second: stored as whole seconds
	in := runningInputs{Obs: observation{WatchdogFirings: 2, WatchdogAction: "reset", WatchdogLastFired: fired},
		WatchdogBase: 3, Now: t0}
	if !applyRunning(vmi, in) {
		t.Fatal("no change")
	}
	w := vmi.Status.Watchdog
	if w == nil || w.Firings != 5 || w.LastAction != "reset" || !w.LastFired.Time.Equal(t0.Add(time.Second)) {
		t.Fatalf("watchdog status %+v", w)
	}
	if applyRunning(vmi, in) {
		t.Error("the same firings changed the status again")
	}
	// No firings since attach: the stored count stays.
	if applyRunning(vmi, runningInputs{Now: t0}) || vmi.Status.Watchdog.Firings != 5 {
		t.Errorf("watchdog status changed without firings: %+v", vmi.Status.Watchdog)
	}
}

func TestSetConditionTransitionTime(t *testing.T) {
	var st v1.VirtualMachineInstanceStatus
	setCondition(&st, condition(v1.VirtualMachineInstanceReady, false, "A", ""), t0)
	if setCondition(&st, condition(v1.VirtualMachineInstanceReady, false, "A", ""), t0.Add(time.Hour)) {
		t.Error("an equal condition reported a change")
	}
	setCondition(&st, condition(v1.VirtualMachineInstanceReady, false, "B", "m"), t0.Add(time.Minute))
	if !st.Conditions[0].LastTransitionTime.Time.Equal(t0) {
		t.Error("a reason change moved the transition time")
	}
	setCondition(&st, condition(v1.VirtualMachineInstanceReady, true, "", ""), t0.Add(2*time.Minute))
	if !st.Conditions[0].LastTransitionTime.Time.Equal(t0.Add(2 * time.Minute)) {
		t.Error("a status change did not move the transition time")
	}
}

func TestPublishedReadinessSurvivesARestart(t *testing.T) {
	ready := func(status corev1.ConditionStatus, reason string) func(*v1.VirtualMachineInstance) {
		return func(vmi *v1.VirtualMachineInstance) {
			vmi.Status.Conditions = []v1.VirtualMachineInstanceCondition{{Type: v1.VirtualMachineInstanceReady, Status: status, Reason: reason}}
		}
	}
	tests := []struct {
		name string
		vmi  *v1.VirtualMachineInstance
		want *Readiness
	}{
		{"no probe", vmiIn(v1.Running, "n", ready(corev1.ConditionTrue, "")), nil},
		{"probe said ready", vmiIn(v1.Running, "n", withReadinessProbe, ready(corev1.ConditionTrue, "")), &Readiness{Ready: true}},
		{"probe said not ready", vmiIn(v1.Running, "n", withReadinessProbe, ready(corev1.ConditionFalse, "ReadinessProbeFailed")),
			&Readiness{Reason: "ReadinessProbeFailed"}},
		{"node's own pending", vmiIn(v1.Running, "n", withReadinessProbe, ready(corev1.ConditionFalse, ReasonReadinessProbePending)), nil},
		{"paused", vmiIn(v1.Running, "n", withReadinessProbe, ready(corev1.ConditionFalse, ReasonPaused)), nil},
		{"not running yet", vmiIn(v1.Scheduled, "n", withReadinessProbe, ready(corev1.ConditionFalse, v1.GuestNotRunningReason)), nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := publishedReadiness(tt.vmi)
			if (got == nil) != (tt.want == nil) || got != nil && *got != *tt.want {
				t.Errorf("got %+v, want %+v", got, tt.want)
			}
			// Fed back into the status, nothing changes.
			if got != nil && applyRunning(tt.vmi, runningInputs{Obs: observation{Readiness: got}, Now: t0}) {
				t.Error("the restored readiness changed the Ready condition")
			}
		})
	}
}
