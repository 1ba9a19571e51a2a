package node

import (
	v1 "vigil.dev/vigil/api/v1"
)

// step is what the worker does next for one VMI.
type step int

const (
	// stepNone: nothing to do until something changes.
	stepNone step = iota
	// stepForget: the VMI is gone from the API and nothing of it runs:
	// remove what is left on the host (run directory, tap, address).
	stepForget
	// stepKill: the VMI is gone from the API (its finalizer was removed by
	// someone else) while its QEMU runs: kill it at once.
	stepKill
	// stepUnschedulable: the VMI's nodeSelector does not match this node;
	// it stays Pending with reason Unschedulable.
	stepUnschedulable
	// stepSchedule: take the VMI: finalizer, nodeName, address, Scheduled.
	stepSchedule
	// stepStart: prepare the VMI's files and network and launch QEMU.
	stepStart
	// stepReattach: QEMU lives but could not be reattached at start-up;
	// try again.
	stepReattach
	// stepMarkLost: the VMI should be running here but no QEMU of it is:
	// it ended while nobody watched. Failed, reason ProcessLost.
	stepMarkLost
	// stepSync: QEMU runs; write what is observed (phase Running,
	// conditions, interfaces, guest OS, watchdog) when it changed.
	stepSync
	// stepTerminate: a deletion or a stop request: Ready False at once,
	// then a graceful stop (ACPI, grace period, kill) in the background.
	stepTerminate
	// stepFinish: QEMU is gone: settle the final status, clean up.
	stepFinish
	// stepWriteFinal: a settled final status is still to be written.
	stepWriteFinal
	// stepRelease: the VMI is being deleted and nothing of it runs: clean
	// up everything (run directory included) and remove the finalizer.
	stepRelease
	// stepCleanup: the VMI ended; remove what is left of it on the host
	// (tap, address, sockets) but keep its logs.
	stepCleanup
)

var stepNames = [...]string{"none", "forget", "kill", "unschedulable", "schedule", "start", "reattach",
	"mark-lost", "sync", "terminate", "finish", "write-final", "release", "cleanup"}

func (s step) String() string {
	if int(s) < len(stepNames) {
		return stepNames[s]
	}
	return "unknown"
}

// facts is what the worker knows about one VMI when it decides.
type facts struct {
	// VMI is the API object (from the cache); nil when it is gone.
	VMI *v1.VirtualMachineInstance
	// Node is this node's name.
	Node string
	// Held: the agent holds a handle on the VMI's QEMU.
	Held bool
	// Exited: that QEMU is proven gone (wait or pidfd).
	Exited bool
	// StopRequested: StopVMI asked for a stop of the running VMI.
	StopRequested bool
	// FinalPending: a final status was settled but is not written yet.
	FinalPending bool
	// Orphan: at start-up QEMU was found alive but its QMP did not answer.
	Orphan bool
	// Launched: the run directory shows that QEMU was launched for the VMI
	// (qemu writes an identity file there before it starts QEMU).
	Launched bool
	// Leftovers: host resources of the VMI remain (address, tap, run
	// directory sockets).
	Leftovers bool
}

// decide maps the facts to the next step. It is pure: every input is in f.
func decide(f facts) step {
	vmi := f.VMI
	if vmi == nil {
		if f.Held && !f.Exited {
			return stepKill
		}
		return stepForget
	}
	if vmi.Status.NodeName != "" && vmi.Status.NodeName != f.Node {
		return stepNone // another node's VMI
	}
	if vmi.DeletionTimestamp != nil {
		return decideDeleting(f)
	}
	switch {
	case f.Held && f.Exited:
		return stepFinish
	case f.Held && f.StopRequested:
		return stepTerminate
	case f.Held:
		return stepSync
	case f.FinalPending:
		return stepWriteFinal
	case f.Orphan:
		return stepReattach
	case vmi.Status.Phase.IsFinal():
		if f.Leftovers {
			return stepCleanup
		}
		return stepNone
	case vmi.Status.NodeName == "":
		if len(unmatchedSelector(vmi.Spec.NodeSelector, nodeLabels(f.Node))) > 0 {
			return stepUnschedulable
		}
		return stepSchedule
	case vmi.Status.Phase == v1.Running, vmi.Status.Phase == v1.Unknown, f.Launched:
		return stepMarkLost
	default: // Pending, Scheduling or Scheduled on this node, never launched
		return stepStart
	}
}

// decideDeleting handles a VMI whose deletion has begun.
func decideDeleting(f facts) step {
	switch {
	case f.Held && f.Exited:
		return stepFinish
	case f.Held:
		return stepTerminate
	case f.Orphan:
		return stepReattach // it cannot be stopped without its QMP
	case hasFinalizer(f.VMI) || f.Leftovers || f.FinalPending:
		return stepRelease
	default:
		return stepNone
	}
}
