package vm

import v1 "vigil.dev/vigil/api/v1"

// settleRequests drops, from the front of the queue, the state change
// requests that are done or void. Requests are taken one at a time, in
// order, as KubeVirt does: a restart is a Stop then a Start, and the Start
// must wait until the stopped VMI is gone.
//
//   - A Stop is done once the VMI it names is gone (no VMI, or another
//     UID); a Stop naming no VMI is void.
//   - A Start is done once a VMI runs or is on its way (exists, is not
//     final and is not being deleted). Under Halted a Start is void.
func settleRequests(reqs []v1.VirtualMachineStateChangeRequest, vmi *v1.VirtualMachineInstance,
	strategy v1.VirtualMachineRunStrategy) []v1.VirtualMachineStateChangeRequest {
	for len(reqs) > 0 && settled(reqs[0], vmi, strategy) {
		reqs = reqs[1:]
	}
	if len(reqs) == 0 {
		return nil
	}
	return reqs
}

func settled(req v1.VirtualMachineStateChangeRequest, vmi *v1.VirtualMachineInstance,
	strategy v1.VirtualMachineRunStrategy) bool {
	switch req.Action {
	case v1.StopRequest:
		return req.UID == nil || vmi == nil || vmi.UID != *req.UID
	case v1.StartRequest:
		if strategy == v1.RunStrategyHalted {
			return true
		}
		return vmi != nil && !vmi.Status.Phase.IsFinal() && vmi.DeletionTimestamp == nil
	default:
		return true // an unknown action can never be acted on
	}
}

func hasStart(reqs []v1.VirtualMachineStateChangeRequest) bool {
	for _, r := range reqs {
		if r.Action == v1.StartRequest {
			return true
		}
	}
	return false
}
