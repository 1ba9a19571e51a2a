package printers

import (
	"fmt"
	"strconv"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/runtime"

	v1 "vigil.dev/vigil/api/v1"
)

var vmColumns = []Column{
	nameColumn,
	ageColumn,
	{Name: "Status", Type: "string", Description: "Human readable status (status.printableStatus)."},
	{Name: "Ready", Type: "string", Description: "Whether the VM's instance is ready (status.ready)."},
	{Name: "RunStrategy", Type: "string", Wide: true, Description: "The run strategy in force."},
}

// vmCells: STATUS is status.printableStatus, READY status.ready.
func vmCells(obj runtime.Object, now time.Time) ([]string, error) {
	vm, ok := obj.(*v1.VirtualMachine)
	if !ok {
		return nil, fmt.Errorf("want a VirtualMachine, got %T", obj)
	}
	return []string{vm.Name, Age(vm.CreationTimestamp, now), OrNone(string(vm.Status.PrintableStatus)),
		TrueFalse(vm.Status.Ready), string(RunStrategy(vm))}, nil
}

// RunStrategy is the strategy in force: the controller's word when it has
// spoken, else what the spec says (running: true is Always; unset is Halted).
func RunStrategy(vm *v1.VirtualMachine) v1.VirtualMachineRunStrategy {
	switch {
	case vm.Status.RunStrategy != "":
		return vm.Status.RunStrategy
	case vm.Spec.RunStrategy != nil:
		return *vm.Spec.RunStrategy
	case vm.Spec.Running != nil && *vm.Spec.Running:
		return v1.RunStrategyAlways
	default:
		return v1.RunStrategyHalted
	}
}

var vmiColumns = []Column{
	nameColumn,
	ageColumn,
	{Name: "Phase", Type: "string", Description: "The instance's phase."},
	{Name: "IP", Type: "string", Description: "The first IP address of the instance's interfaces."},
	{Name: "NodeName", Type: "string", Description: "The host the instance runs on."},
	{Name: "Ready", Type: "string", Description: "The status of the Ready condition."},
	{Name: "Reason", Type: "string", Wide: true, Description: "Why the instance is in its phase."},
	{Name: "Watchdog", Type: "string", Wide: true, Description: "How often the watchdog fired, and its last action."},
	{Name: "UID", Type: "string", Wide: true, Description: "The instance's uid."},
}

// vmiCells: IP is the first interface's, READY the Ready condition's status.
func vmiCells(obj runtime.Object, now time.Time) ([]string, error) {
	vmi, ok := obj.(*v1.VirtualMachineInstance)
	if !ok {
		return nil, fmt.Errorf("want a VirtualMachineInstance, got %T", obj)
	}
	return []string{
		vmi.Name, Age(vmi.CreationTimestamp, now), OrNone(string(vmi.Status.Phase)),
		OrNone(VMIIP(vmi)), OrNone(vmi.Status.NodeName), VMIReady(vmi),
		OrNone(vmi.Status.Reason), watchdogCell(vmi), string(vmi.UID),
	}, nil
}

// VMIIP is the first IP address of the VMI's interfaces, "" without one.
func VMIIP(vmi *v1.VirtualMachineInstance) string {
	for _, i := range vmi.Status.Interfaces {
		if i.IP != "" {
			return i.IP
		}
		if len(i.IPs) > 0 {
			return i.IPs[0]
		}
	}
	return ""
}

// VMIReady is the Ready condition's status as "True" or "False".
func VMIReady(vmi *v1.VirtualMachineInstance) string {
	for _, c := range vmi.Status.Conditions {
		if c.Type == v1.VirtualMachineInstanceReady {
			return TrueFalse(c.Status == corev1.ConditionTrue)
		}
	}
	return "False"
}

// watchdogCell: how often the watchdog fired, "<none>" without a watchdog.
func watchdogCell(vmi *v1.VirtualMachineInstance) string {
	if st := vmi.Status.Watchdog; st != nil {
		cell := strconv.Itoa(int(st.Firings))
		if st.LastAction != "" {
			cell += " (" + st.LastAction + ")"
		}
		return cell
	}
	if vmi.Spec.Domain.Devices.Watchdog != nil {
		return "0"
	}
	return "<none>"
}
