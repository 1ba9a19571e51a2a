package vm

import (
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	v1 "vigil.dev/vigil/api/v1"
)

func equalVM(a, b *v1.VirtualMachine) bool { return equality.Semantic.DeepEqual(a, b) }

func withConditions(s *vmiState, conds ...v1.VirtualMachineInstanceCondition) *v1.VirtualMachineInstance {
	vmi := s.build()
	vmi.Status.Conditions = conds
	return vmi
}

func vmiCond(t v1.VirtualMachineInstanceConditionType, s corev1.ConditionStatus, reason string) v1.VirtualMachineInstanceCondition {
	ts := metav1.NewTime(t0.Add(-time.Minute))
	return v1.VirtualMachineInstanceCondition{Type: t, Status: s, Reason: reason, Message: reason + " message",
		LastProbeTime: ts, LastTransitionTime: ts}
}

func TestStatusFromVMI(t *testing.T) {
	ready := vmiCond(v1.VirtualMachineInstanceReady, corev1.ConditionTrue, "")
	notReady := vmiCond(v1.VirtualMachineInstanceReady, corev1.ConditionFalse, "GuestNotRunning")
	paused := vmiCond(v1.VirtualMachineInstancePaused, corev1.ConditionTrue, "PausedByUser")
	agent := vmiCond(v1.VirtualMachineInstanceAgentConnected, corev1.ConditionTrue, "")
	cases := []struct {
		name      string
		vmi       *v1.VirtualMachineInstance
		created   bool
		ready     bool
		printable v1.VirtualMachinePrintableStatus
		conds     []v1.VirtualMachineConditionType
		readyWhy  string
	}{
		{"no VMI", nil, false, false, v1.VirtualMachineStatusStopped, []v1.VirtualMachineConditionType{"Ready"}, ReasonVMINotExists},
		{"no Ready condition", running.build(), true, false, v1.VirtualMachineStatusRunning, []v1.VirtualMachineConditionType{"Ready"}, ReasonVMIConditionMissing},
		{"ready", withConditions(running, ready, agent), true, true, v1.VirtualMachineStatusRunning, []v1.VirtualMachineConditionType{"Ready", "AgentConnected"}, ""},
		{"not ready", withConditions(running, notReady), true, false, v1.VirtualMachineStatusRunning, []v1.VirtualMachineConditionType{"Ready"}, "GuestNotRunning"},
		{"paused", withConditions(running, notReady, paused), true, false, v1.VirtualMachineStatusPaused, []v1.VirtualMachineConditionType{"Ready", "Paused"}, "GuestNotRunning"},
		{"scheduling", withConditions(&vmiState{phase: v1.Scheduling}), true, false, v1.VirtualMachineStatusStarting, []v1.VirtualMachineConditionType{"Ready"}, ReasonVMIConditionMissing},
		{"scheduled", withConditions(&vmiState{phase: v1.Scheduled}), true, false, v1.VirtualMachineStatusStarting, []v1.VirtualMachineConditionType{"Ready"}, ReasonVMIConditionMissing},
		{"unknown phase", withConditions(&vmiState{phase: v1.Unknown}), true, false, v1.VirtualMachineStatusUnknown, []v1.VirtualMachineConditionType{"Ready"}, ReasonVMIConditionMissing},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			vm := strategyVM(v1.RunStrategyManual)
			d := Decide(Input{VM: vm, VMI: c.vmi, Now: t0})
			s := d.Status
			if s.Created != c.created || s.Ready != c.ready || s.PrintableStatus != c.printable {
				t.Errorf("created=%v ready=%v printable=%s, want %v %v %s", s.Created, s.Ready, s.PrintableStatus, c.created, c.ready, c.printable)
			}
			var types []v1.VirtualMachineConditionType
			for _, cond := range s.Conditions {
				types = append(types, cond.Type)
			}
			if !equality.Semantic.DeepEqual(types, c.conds) {
				t.Errorf("conditions %v, want %v", types, c.conds)
			}
			if s.Conditions[0].Reason != c.readyWhy {
				t.Errorf("Ready reason %q, want %q", s.Conditions[0].Reason, c.readyWhy)
			}
		})
	}
}

func TestReadyConditionCopiesTheVMI(t *testing.T) {
	c := vmiCond(v1.VirtualMachineInstanceReady, corev1.ConditionFalse, "GuestNotRunning")
	d := Decide(Input{VM: strategyVM(v1.RunStrategyManual), VMI: withConditions(running, c), Now: t0})
	got := d.Status.Conditions[0]
	want := v1.VirtualMachineCondition{Type: v1.VirtualMachineReady, Status: c.Status, Reason: c.Reason,
		Message: c.Message, LastProbeTime: c.LastProbeTime, LastTransitionTime: c.LastTransitionTime}
	if !equality.Semantic.DeepEqual(got, want) {
		t.Fatalf("Ready %+v, want %+v", got, want)
	}
}

// TestStatusIsStable: deciding again on the status just written, later,
// gives the same status, so a converged VM is never rewritten.
func TestStatusIsStable(t *testing.T) {
	ready := vmiCond(v1.VirtualMachineInstanceReady, corev1.ConditionTrue, "")
	cases := map[string]*v1.VirtualMachineInstance{
		"stopped": nil, "pending": pending.build(), "ready": withConditions(running, ready),
		"missing Ready": running.build(), "failed early": earlyFail("e1"),
	}
	for name, vmi := range cases {
		t.Run(name, func(t *testing.T) {
			vm := strategyVM(v1.RunStrategyRerunOnFailure)
			vm.Status = Decide(Input{VM: vm, VMI: vmi, Now: t0.Add(500 * time.Millisecond)}).Status
			again := Decide(Input{VM: vm, VMI: vmi, Now: t0.Add(time.Hour)}).Status
			if !equality.Semantic.DeepEqual(vm.Status, again) {
				t.Fatalf("status changed on a second pass:\n%+v\n%+v", vm.Status, again)
			}
		})
	}
}

func TestReadyNotExistsTimestampsMoveOnChange(t *testing.T) {
	vm := strategyVM(v1.RunStrategyManual)
	ready := vmiCond(v1.VirtualMachineInstanceReady, corev1.ConditionTrue, "")
	vm.Status = Decide(Input{VM: vm, VMI: withConditions(running, ready), Now: t0}).Status
	later := t0.Add(time.Hour)
	c := Decide(Input{VM: vm, Now: later}).Status.Conditions[0]
	if c.Reason != ReasonVMINotExists || !c.LastTransitionTime.Time.Equal(later) {
		t.Fatalf("Ready after the VMI went: %+v, want VMINotExists at %v", c, later)
	}
}
