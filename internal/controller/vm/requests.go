package vm

import (
	"errors"
	"fmt"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/runtime/schema"

	v1 "vigil.dev/vigil/api/v1"
)

// requestResource is how KubeVirt names the VM in subresource refusals:
// "Operation cannot be fulfilled on virtualmachine.kubevirt.io \"NAME\": ...".
var requestResource = schema.GroupResource{Group: v1.GroupName, Resource: "virtualmachine"}

// Refusal texts, worded as KubeVirt's subresource API words them, so that
// scripts written against KubeVirt match them.
const (
	msgAlreadyRunning = "VM is already running"
	msgNotRunning     = "VM is not running"
	msgUnderway       = "unable to complete request: stop/start already underway"
)

// Start applies a start request (the start subresource) to vm, whose
// current VMI is vmi (nil when it has none). Under Halted it switches the
// VM to running (runStrategy Always, or running: true when the VM uses the
// deprecated field); under Manual and RerunOnFailure it queues a Start
// request, preceded by a Stop of a final VMI that must be replaced. Always
// and Once refuse. The decision does not depend on now; it is taken so the
// three request functions share one shape.
func Start(vm *v1.VirtualMachine, vmi *v1.VirtualMachineInstance, now time.Time) error {
	if vmi != nil && isActive(vmi) {
		return conflict(vm, msgAlreadyRunning)
	}
	switch strategy := RunStrategy(vm); strategy {
	case v1.RunStrategyHalted:
		setRunning(vm, true)
		return nil
	case v1.RunStrategyRerunOnFailure, v1.RunStrategyManual:
		return queueStart(vm, vmi, strategy)
	default:
		return conflict(vm, fmt.Sprintf("%s does not support manual start requests", strategy))
	}
}

// Stop applies a stop request (the stop subresource). Under Always and Once
// it switches the VM to Halted (running: false for the deprecated field);
// under Manual and RerunOnFailure it queues a Stop for the current VMI.
// Halted refuses: its VMI is being stopped already.
func Stop(vm *v1.VirtualMachine, vmi *v1.VirtualMachineInstance, now time.Time) error {
	switch strategy := RunStrategy(vm); strategy {
	case v1.RunStrategyAlways, v1.RunStrategyOnce:
		setRunning(vm, false)
		return nil
	case v1.RunStrategyHalted:
		if vmi == nil || vmi.Status.Phase.IsFinal() {
			return conflict(vm, msgNotRunning)
		}
		// KubeVirt accepts a stop here only to shorten the grace period,
		// which vigil's stop request does not carry.
		return conflict(vm, fmt.Sprintf("%s only supports manual stop requests with a shorter graceperiod", strategy))
	default:
		if vmi == nil || vmi.Status.Phase.IsFinal() {
			return conflict(vm, msgNotRunning)
		}
		// A lone Stop replaces whatever requests are pending.
		vm.Status.StateChangeRequests = []v1.VirtualMachineStateChangeRequest{stopRequest(vmi)}
		vm.Status.StartFailure = nil
		return nil
	}
}

// Restart applies a restart request: a Stop of the current VMI followed by
// a Start. Halted and Once refuse, and so does a VM without a VMI.
func Restart(vm *v1.VirtualMachine, vmi *v1.VirtualMachineInstance, now time.Time) error {
	strategy := RunStrategy(vm)
	if strategy == v1.RunStrategyHalted || strategy == v1.RunStrategyOnce {
		// "RunStategy" (sic) is KubeVirt's exact wording.
		return conflict(vm, fmt.Sprintf("RunStategy %s does not support manual restart requests", strategy))
	}
	if vmi == nil {
		// KubeVirt names Halted here whatever the strategy.
		return conflict(vm, fmt.Sprintf("%s: %s", msgNotRunning, v1.RunStrategyHalted))
	}
	return addRequests(vm, stopRequest(vmi), v1.VirtualMachineStateChangeRequest{Action: v1.StartRequest})
}

// queueStart handles a start request under Manual or RerunOnFailure.
func queueStart(vm *v1.VirtualMachine, vmi *v1.VirtualMachineInstance, strategy v1.VirtualMachineRunStrategy) error {
	start := v1.VirtualMachineStateChangeRequest{Action: v1.StartRequest}
	if vmi == nil {
		return addRequests(vm, start)
	}
	phase := vmi.Status.Phase
	if strategy == v1.RunStrategyRerunOnFailure && phase == v1.Failed {
		return conflict(vm, fmt.Sprintf("%s does not support starting VM from failed state", strategy))
	}
	if phase.IsFinal() {
		return addRequests(vm, stopRequest(vmi), start)
	}
	return addRequests(vm, start)
}

// addRequests queues requests the way KubeVirt's status patch does: only
// onto an empty queue (a lone Stop replaces the queue, see Stop), and
// clearing the crash-loop record so a manual start is not held back.
func addRequests(vm *v1.VirtualMachine, reqs ...v1.VirtualMachineStateChangeRequest) error {
	if len(vm.Status.StateChangeRequests) > 0 {
		return apierrors.NewInternalError(errors.New(msgUnderway))
	}
	vm.Status.StateChangeRequests = reqs
	vm.Status.StartFailure = nil
	return nil
}

func stopRequest(vmi *v1.VirtualMachineInstance) v1.VirtualMachineStateChangeRequest {
	uid := vmi.UID
	return v1.VirtualMachineStateChangeRequest{Action: v1.StopRequest, UID: &uid}
}

// setRunning switches a VM between Always and Halted in whichever field it
// uses, leaving the other one unset (they are mutually exclusive).
func setRunning(vm *v1.VirtualMachine, running bool) {
	if vm.Spec.RunStrategy == nil {
		vm.Spec.Running = &running
		return
	}
	strategy := v1.RunStrategyHalted
	if running {
		strategy = v1.RunStrategyAlways
	}
	vm.Spec.RunStrategy = &strategy
}

// isActive is KubeVirt's "already running" test: a VMI that is neither
// final nor in an unknown or unset phase.
func isActive(vmi *v1.VirtualMachineInstance) bool {
	switch vmi.Status.Phase {
	case v1.Succeeded, v1.Failed, v1.Unknown, v1.VmPhaseUnset:
		return false
	}
	return true
}

func conflict(vm *v1.VirtualMachine, msg string) error {
	return apierrors.NewConflict(requestResource, vm.Name, errors.New(msg))
}
