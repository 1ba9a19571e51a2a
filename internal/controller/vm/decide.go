package vm

import (
	"time"

	"k8s.io/apimachinery/pkg/types"

	v1 "vigil.dev/vigil/api/v1"
)

// Input is everything a decision depends on.
type Input struct {
	// VM is the VirtualMachine as last read; Decide does not modify it.
	VM *v1.VirtualMachine
	// VMI is the VM's current instance, nil when it has none.
	VMI *v1.VirtualMachineInstance
	// Now is the time the decision is taken at.
	Now time.Time
	// Jitter returns a number in [0, 1) that spreads crash-loop backoffs;
	// nil means no jitter.
	Jitter func() float64
}

// Decision is what the controller must do for one VM. At most one of
// Create and DeleteUID is set: a new VMI (it has the VM's name) can only be
// created once the old one is gone.
type Decision struct {
	// Create asks for a new VMI made by NewVMI.
	Create bool
	// DeleteUID names the VMI to delete; empty for none.
	DeleteUID types.UID
	// Status is the VM status to write (write it only when it changed).
	Status v1.VirtualMachineStatus
	// RequeueAfter, when positive, is when to look again even if nothing
	// changes: the end of a crash-loop backoff.
	RequeueAfter time.Duration
}

// Decide maps a VM, its VMI and the time to what must happen. It is pure:
// no clock, no API, no randomness except through in.Jitter.
func Decide(in Input) Decision {
	vm, vmi := in.VM, in.VMI
	strategy := RunStrategy(vm)
	status := *vm.Status.DeepCopy()
	status.StateChangeRequests = settleRequests(status.StateChangeRequests, vmi, strategy)
	status.StartFailure = trackStartFailure(status.StartFailure, strategy, vmi, in.Now, in.Jitter)

	var act action
	if vm.DeletionTimestamp == nil {
		act = plan(strategy, vm.Status.RunStrategy, vmi, status.StateChangeRequests)
	}
	if act.queueStart && !hasStart(status.StateChangeRequests) {
		status.StateChangeRequests = append(status.StateChangeRequests,
			v1.VirtualMachineStateChangeRequest{Action: v1.StartRequest})
	}
	d := Decision{Create: act.create}
	if act.delete {
		d.DeleteUID = vmi.UID
	}
	if wait := backoffLeft(status.StartFailure, in.Now); d.Create && wait > 0 {
		d.Create = false
		d.RequeueAfter = wait
	}
	d.Status = deriveStatus(vm, vmi, status, strategy, d, in.Now)
	return d
}

// action is what the run strategy and the pending requests ask for.
type action struct {
	create bool
	delete bool
	// queueStart adds a Start request, so a VMI deleted now is replaced
	// once it is gone (RerunOnFailure after a failure).
	queueStart bool
}

// plan decides for a live VM. observed is the strategy recorded in the
// status by the previous pass ("" before the first): RerunOnFailure and
// Once create a VMI by themselves only when the strategy is new.
func plan(strategy, observed v1.VirtualMachineRunStrategy, vmi *v1.VirtualMachineInstance,
	reqs []v1.VirtualMachineStateChangeRequest) action {
	if vmi != nil && vmi.DeletionTimestamp != nil {
		return action{} // being stopped: wait until it is gone
	}
	if len(reqs) > 0 {
		return planRequest(reqs[0], vmi)
	}
	switch strategy {
	case v1.RunStrategyAlways:
		return action{create: vmi == nil, delete: vmi != nil && vmi.Status.Phase.IsFinal()}
	case v1.RunStrategyRerunOnFailure:
		if vmi == nil {
			return firstStart(strategy, observed)
		}
		failed := vmi.Status.Phase == v1.Failed
		return action{delete: failed, queueStart: failed}
	case v1.RunStrategyOnce:
		if vmi == nil {
			return firstStart(strategy, observed)
		}
		return action{}
	case v1.RunStrategyHalted:
		return action{delete: vmi != nil}
	default: // Manual acts on requests only
		return action{}
	}
}

// firstStart starts the first VMI of a strategy that does not keep one
// running. It also queues a Start request, which stays until the VMI
// exists: the status (with the strategy now observed) may be written
// before a create that fails, and the request makes the next pass retry.
func firstStart(strategy, observed v1.VirtualMachineRunStrategy) action {
	if observed == strategy {
		return action{}
	}
	return action{create: true, queueStart: true}
}

// planRequest acts on the first pending request. settleRequests has
// already dropped the ones that are done or void, so a Stop here names the
// current VMI and a Start finds no VMI or a final one.
func planRequest(req v1.VirtualMachineStateChangeRequest, vmi *v1.VirtualMachineInstance) action {
	if req.Action == v1.StopRequest {
		return action{delete: true}
	}
	if vmi == nil {
		return action{create: true}
	}
	return action{delete: true} // a Start replaces a final VMI
}
