package vm

import (
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	v1 "vigil.dev/vigil/api/v1"
)

// Ready condition reasons the controller sets itself, as KubeVirt words them.
const (
	ReasonVMINotExists        = "VMINotExists"
	ReasonVMIConditionMissing = "VMIConditionMissing"
)

// deriveStatus fills in what the VM status says about its VMI. status
// already carries the settled requests and the crash-loop record.
func deriveStatus(vm *v1.VirtualMachine, vmi *v1.VirtualMachineInstance, status v1.VirtualMachineStatus,
	strategy v1.VirtualMachineRunStrategy, d Decision, now time.Time) v1.VirtualMachineStatus {
	status.Created = vmi != nil
	status.Ready = vmi != nil && vmiCondition(vmi, v1.VirtualMachineInstanceReady) == corev1.ConditionTrue
	status.RunStrategy = strategy
	status.ObservedGeneration = vm.Generation
	status.Conditions = conditions(status.Conditions, vmi, now)
	status.PrintableStatus = printableStatus(vm, vmi, status, strategy, d)
	return status
}

// printableStatus is the one word `get vm` shows. The first match wins,
// in KubeVirt's order.
func printableStatus(vm *v1.VirtualMachine, vmi *v1.VirtualMachineInstance, status v1.VirtualMachineStatus,
	strategy v1.VirtualMachineRunStrategy, d Decision) v1.VirtualMachinePrintableStatus {
	live := vmi != nil && !vmi.Status.Phase.IsFinal()
	switch {
	case vm.DeletionTimestamp != nil:
		return v1.VirtualMachineStatusTerminating
	case live && (vmi.DeletionTimestamp != nil || d.DeleteUID != ""):
		return v1.VirtualMachineStatusStopping
	case live && vmi.Status.Phase == v1.Running:
		if vmiCondition(vmi, v1.VirtualMachineInstancePaused) == corev1.ConditionTrue {
			return v1.VirtualMachineStatusPaused
		}
		return v1.VirtualMachineStatusRunning
	case live && isStarting(vmi.Status.Phase), vmi == nil && d.Create:
		return v1.VirtualMachineStatusStarting
	case !live && inCrashLoop(status.StartFailure, strategy):
		return v1.VirtualMachineStatusCrashLoopBackOff
	case !live:
		return v1.VirtualMachineStatusStopped
	default:
		return v1.VirtualMachineStatusUnknown
	}
}

func isStarting(p v1.VirtualMachineInstancePhase) bool {
	return p == v1.VmPhaseUnset || p == v1.Pending || p == v1.Scheduling || p == v1.Scheduled
}

func inCrashLoop(sf *v1.VirtualMachineStartFailure, strategy v1.VirtualMachineRunStrategy) bool {
	return sf != nil && sf.ConsecutiveFailCount > 0 &&
		(strategy == v1.RunStrategyAlways || strategy == v1.RunStrategyRerunOnFailure)
}

// conditions are the VM's Ready condition followed by copies of the VMI's
// other conditions (Paused, AgentConnected, ...), as KubeVirt syncs them.
// Without a VMI only Ready remains, False with reason VMINotExists.
func conditions(old []v1.VirtualMachineCondition, vmi *v1.VirtualMachineInstance, now time.Time) []v1.VirtualMachineCondition {
	out := []v1.VirtualMachineCondition{readyCondition(old, vmi, now)}
	if vmi == nil {
		return out
	}
	for _, c := range vmi.Status.Conditions {
		if c.Type != v1.VirtualMachineInstanceReady {
			out = append(out, copyCondition(c))
		}
	}
	return out
}

// readyCondition copies the VMI's Ready condition. When the controller has
// to make one up, it keeps the previous timestamps while nothing changed,
// so an unchanged VM is not rewritten.
func readyCondition(old []v1.VirtualMachineCondition, vmi *v1.VirtualMachineInstance, now time.Time) v1.VirtualMachineCondition {
	if vmi != nil {
		for _, c := range vmi.Status.Conditions {
			if c.Type == v1.VirtualMachineInstanceReady {
				return copyCondition(c)
			}
		}
	}
	c := v1.VirtualMachineCondition{Type: v1.VirtualMachineReady, Status: corev1.ConditionFalse,
		Reason: ReasonVMINotExists, Message: "VMI does not exist"}
	if vmi != nil {
		c.Reason, c.Message = ReasonVMIConditionMissing, "VMI is missing the Ready condition"
	}
	for _, p := range old {
		if p.Type == c.Type && p.Status == c.Status && p.Reason == c.Reason && p.Message == c.Message {
			return p
		}
	}
	t := metav1.NewTime(stamp(now))
	c.LastProbeTime, c.LastTransitionTime = t, t
	return c
}

func copyCondition(c v1.VirtualMachineInstanceCondition) v1.VirtualMachineCondition {
	return v1.VirtualMachineCondition{
		Type:               v1.VirtualMachineConditionType(c.Type),
		Status:             c.Status,
		LastProbeTime:      c.LastProbeTime,
		LastTransitionTime: c.LastTransitionTime,
		Reason:             c.Reason,
		Message:            c.Message,
	}
}

// vmiCondition is the status of a VMI condition ("" when absent).
func vmiCondition(vmi *v1.VirtualMachineInstance, t v1.VirtualMachineInstanceConditionType) corev1.ConditionStatus {
	for _, c := range vmi.Status.Conditions {
		if c.Type == t {
			return c.Status
		}
	}
	return ""
}
