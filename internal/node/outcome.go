package node

import (
	"fmt"
	"time"

	corev1 "k8s.io/api/core/v1"

	v1 "vigil.dev/vigil/api/v1"
	"vigil.dev/vigil/internal/qemu"
)

// Event reasons and messages on VMIs, KubeVirt's where it has them.
const (
	EventStarted       = "Started"
	EventStopped       = "Stopped"
	EventWatchdogFired = "WatchdogFired"
	// EventWatchdogShutdownIgnored: a watchdog "shutdown" the guest did not obey.
	EventWatchdogShutdownIgnored = "WatchdogShutdownIgnored"

	messageStarted  = "VirtualMachineInstance started."
	messageShutDown = "The VirtualMachineInstance was shut down."
	messageCrashed  = "The VirtualMachineInstance crashed."
)

// final is how a VMI ended: its last phase, reason and message, and the
// event that tells of it.
type final struct {
	Phase   v1.VirtualMachineInstancePhase
	Reason  string
	Message string
	// EventType, EventReason and EventMessage describe the event recorded
	// when the final status is written; no event when EventReason is "".
	EventType    string
	EventReason  string
	EventMessage string
}

// stopIntent is why the node stopped a VMI, if it did.
type stopIntent struct {
	// Deleting: the VMI is being deleted.
	Deleting bool
	// Reason and Message come from StopVMI (a liveness failure, say); the
	// VMI then always ends Failed with them.
	Reason, Message string
	// Grace is the grace period the stop used.
	Grace time.Duration
}

func (i stopIntent) requested() bool { return i.Deleting || i.Reason != "" }

// stoppedEvent fills the Stopped event for the phase.
func (f final) withStoppedEvent() final {
	f.EventReason = EventStopped
	if f.Phase == v1.Succeeded {
		f.EventType, f.EventMessage = corev1.EventTypeNormal, messageShutDown
	} else {
		f.EventType, f.EventMessage = corev1.EventTypeWarning, messageCrashed
	}
	return f
}

// finalFromOutcome decides how a VMI ended from what QEMU reported and why
// the node stopped it, if it did. Pure.
func finalFromOutcome(o qemu.Outcome, intent stopIntent) final {
	if intent.Reason != "" {
		msg := intent.Message
		if o.GuestShutdown {
			msg += " (the guest shut down within the grace period)"
		} else {
			msg += fmt.Sprintf(" (the guest did not shut down within %s and was killed)", intent.Grace)
		}
		return final{Phase: v1.Failed, Reason: intent.Reason, Message: msg}.withStoppedEvent()
	}
	var f final
	switch {
	case o.WatchdogAction == string(v1.WatchdogActionPoweroff) && !o.ShutdownSeen:
		f = final{Phase: v1.Failed, Reason: v1.WatchdogPoweroffReason,
			Message: "the watchdog fired (action poweroff) and QEMU powered the VM off"}
	case o.GuestShutdown && o.WatchdogAction == string(v1.WatchdogActionShutdown):
		f = final{Phase: v1.Succeeded, Reason: v1.WatchdogShutdownReason,
			Message: "the watchdog fired (action shutdown) and the guest shut down"}
	case o.GuestShutdown && intent.Deleting:
		f = final{Phase: v1.Succeeded, Reason: ReasonGuestShutdown, Message: "the VMI was deleted and the guest shut down"}
	case o.GuestShutdown:
		f = final{Phase: v1.Succeeded, Reason: ReasonGuestShutdown, Message: "the guest powered itself off"}
	case intent.Deleting:
		f = final{Phase: v1.Failed, Reason: ReasonKilled,
			Message: fmt.Sprintf("the VMI was deleted and the guest did not shut down within %s; QEMU was killed", intent.Grace)}
	case o.ShutdownSeen:
		f = final{Phase: v1.Failed, Reason: ReasonKilled,
			Message: fmt.Sprintf("QEMU was stopped from the host (shutdown reason %s)", o.ShutdownReason)}
	default:
		f = crashFinal(o.Exit)
	}
	return f.withStoppedEvent()
}

// crashFinal describes a QEMU that ended without a shutdown.
func crashFinal(e qemu.ExitInfo) final {
	switch {
	case !e.Known:
		return final{Phase: v1.Failed, Reason: ReasonCrashed, Message: "QEMU ended without a shutdown; " +
			"its exit status is unknown (the node agent reattached to it after a restart)"}
	case e.Signal != 0:
		return final{Phase: v1.Failed, Reason: ReasonKilled,
			Message: fmt.Sprintf("QEMU was killed by signal %d (%s)", int(e.Signal), e.Signal)}
	default:
		return final{Phase: v1.Failed, Reason: ReasonCrashed,
			Message: fmt.Sprintf("QEMU exited with code %d without a shutdown", e.Code)}
	}
}

// lostFinal is the end of a VMI whose QEMU is gone while nobody watched.
func lostFinal(phase v1.VirtualMachineInstancePhase) final {
	msg := "no QEMU of this VMI runs on the node: it ended while the node agent was not running"
	if phase != v1.Running {
		msg = "QEMU was being started for this VMI when the node agent stopped, and it is not running"
	}
	return final{Phase: v1.Failed, Reason: ReasonProcessLost, Message: msg}.withStoppedEvent()
}

// startFailure is the end of a VMI that never reached Running.
func startFailure(reason, message string) final {
	return final{Phase: v1.Failed, Reason: reason, Message: message,
		EventType: corev1.EventTypeWarning, EventReason: reason, EventMessage: message}
}
