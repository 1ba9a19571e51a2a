package cli

import (
	"fmt"
	"strconv"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/runtime"

	v1 "vigil.dev/vigil/api/v1"
)

func vmHeaders(wide bool) []string {
	h := []string{"NAME", "AGE", "STATUS", "READY"}
	if wide {
		h = append(h, "RUNSTRATEGY")
	}
	return h
}

// vmRow: STATUS is status.printableStatus, READY status.ready.
func vmRow(obj runtime.Object, now time.Time, wide bool) ([]string, error) {
	vm, ok := obj.(*v1.VirtualMachine)
	if !ok {
		return nil, fmt.Errorf("want a VirtualMachine, got %T", obj)
	}
	row := []string{vm.Name, age(vm.CreationTimestamp, now), orNone(string(vm.Status.PrintableStatus)), trueFalse(vm.Status.Ready)}
	if wide {
		row = append(row, string(runStrategy(vm)))
	}
	return row, nil
}

// runStrategy is the strategy in force: the controller's word when it has
// spoken, else what the spec says (running: true is Always; unset is Halted).
func runStrategy(vm *v1.VirtualMachine) v1.VirtualMachineRunStrategy {
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

func vmiHeaders(wide bool) []string {
	h := []string{"NAME", "AGE", "PHASE", "IP", "NODENAME", "READY"}
	if wide {
		h = append(h, "REASON", "WATCHDOG", "UID")
	}
	return h
}

// vmiRow: IP is the first interface's, READY the Ready condition's status.
func vmiRow(obj runtime.Object, now time.Time, wide bool) ([]string, error) {
	vmi, ok := obj.(*v1.VirtualMachineInstance)
	if !ok {
		return nil, fmt.Errorf("want a VirtualMachineInstance, got %T", obj)
	}
	row := []string{
		vmi.Name, age(vmi.CreationTimestamp, now), orNone(string(vmi.Status.Phase)),
		orNone(vmiIP(vmi)), orNone(vmi.Status.NodeName), vmiReady(vmi),
	}
	if wide {
		row = append(row, orNone(vmi.Status.Reason), watchdogCell(vmi), string(vmi.UID))
	}
	return row, nil
}

func vmiIP(vmi *v1.VirtualMachineInstance) string {
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

func vmiReady(vmi *v1.VirtualMachineInstance) string {
	for _, c := range vmi.Status.Conditions {
		if c.Type == v1.VirtualMachineInstanceReady {
			return trueFalse(c.Status == corev1.ConditionTrue)
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
