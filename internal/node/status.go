package node

import (
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	v1 "vigil.dev/vigil/api/v1"
)

// Reasons the node writes to status.reason and to conditions.
const (
	ReasonUnschedulable         = "Unschedulable"
	ReasonTerminating           = "Terminating"
	ReasonReadinessProbePending = "ReadinessProbePending"
	ReasonAgentNotResponding    = "GuestAgentNotResponding"
	ReasonPausedByUser          = "PausedByUser"
	ReasonPaused                = "Paused"
	ReasonGuestShutdown         = "GuestShutdown"
	ReasonCrashed               = "Crashed"
	ReasonKilled                = "Killed"
	ReasonProcessLost           = "ProcessLost"
	ReasonImageNotFound         = "ImageNotFound"
	ReasonInvalidSpec           = "InvalidSpec"
	ReasonPrepareFailed         = "PrepareFailed"
	ReasonLaunchFailed          = "LaunchFailed"
)

// pendingMessage explains Ready False before a readiness probe succeeded.
const pendingMessage = "the readiness probe has not succeeded yet"

// Readiness is a readiness result published by a prober (SetReadiness).
type Readiness struct {
	Ready   bool
	Reason  string
	Message string
}

// observation is what the monitor and the guest agent loop saw of a
// running VMI. Zero values mean "not known yet": an unknown fact never
// changes what the status already says, so a reattached VMI does not flap.
type observation struct {
	Paused bool
	// AgentKnown: at least one ping settled AgentConnected.
	AgentKnown     bool
	AgentConnected bool
	// OSInfo is nil until the agent reported it.
	OSInfo *v1.VirtualMachineInstanceGuestOSInfo
	// GuestIfaces is nil until the agent reported the interfaces.
	GuestIfaces []guestIface
	// WatchdogFirings counts WATCHDOG events since the agent attached.
	WatchdogFirings   int32
	WatchdogAction    string
	WatchdogLastFired time.Time
	// Readiness is the last result a prober published; nil for none.
	Readiness *Readiness
	// Terminating: a stop or deletion has begun.
	Terminating bool
}

// runningInputs is everything applyRunning needs besides the VMI.
type runningInputs struct {
	Obs observation
	Net *netInfo
	// WatchdogBase is status.watchdog.firings when QEMU was attached.
	WatchdogBase int32
	Now          time.Time
}

// setPhase moves the status to phase, recording the transition time.
func setPhase(st *v1.VirtualMachineInstanceStatus, phase v1.VirtualMachineInstancePhase, now time.Time) bool {
	if st.Phase == phase {
		return false
	}
	st.Phase = phase
	st.PhaseTransitionTimestamps = append(st.PhaseTransitionTimestamps,
		v1.VirtualMachineInstancePhaseTransitionTimestamp{Phase: phase, PhaseTransitionTimestamp: metav1.NewTime(now)})
	return true
}

// setCondition sets a condition; the transition time moves only when the
// status does. It reports whether anything changed.
func setCondition(st *v1.VirtualMachineInstanceStatus, c v1.VirtualMachineInstanceCondition, now time.Time) bool {
	for i := range st.Conditions {
		old := &st.Conditions[i]
		if old.Type != c.Type {
			continue
		}
		if old.Status == c.Status && old.Reason == c.Reason && old.Message == c.Message {
			return false
		}
		if old.Status != c.Status {
			old.LastTransitionTime = metav1.NewTime(now)
		}
		old.Status, old.Reason, old.Message = c.Status, c.Reason, c.Message
		return true
	}
	c.LastTransitionTime = metav1.NewTime(now)
	st.Conditions = append(st.Conditions, c)
	return true
}

// removeCondition drops a condition; it reports whether there was one.
func removeCondition(st *v1.VirtualMachineInstanceStatus, t v1.VirtualMachineInstanceConditionType) bool {
	for i := range st.Conditions {
		if st.Conditions[i].Type == t {
			st.Conditions = append(st.Conditions[:i], st.Conditions[i+1:]...)
			if len(st.Conditions) == 0 {
				st.Conditions = nil
			}
			return true
		}
	}
	return false
}

func condition(t v1.VirtualMachineInstanceConditionType, ok bool, reason, message string) v1.VirtualMachineInstanceCondition {
	s := corev1.ConditionFalse
	if ok {
		s = corev1.ConditionTrue
	}
	return v1.VirtualMachineInstanceCondition{Type: t, Status: s, Reason: reason, Message: message}
}

func notRunningReady() v1.VirtualMachineInstanceCondition {
	return condition(v1.VirtualMachineInstanceReady, false, v1.GuestNotRunningReason, "the guest is not running")
}

// applyUnschedulable records why a Pending VMI stays unscheduled.
func applyUnschedulable(vmi *v1.VirtualMachineInstance, message string) bool {
	st := &vmi.Status
	if st.NodeName != "" || (st.Phase != v1.Pending && st.Phase != v1.VmPhaseUnset) {
		return false
	}
	changed := st.Reason != ReasonUnschedulable || st.Message != message
	st.Reason, st.Message = ReasonUnschedulable, message
	return changed
}

// applyScheduled takes a Pending VMI onto node: nodeName, phase Scheduled,
// its address in interfaces, Ready False.
func applyScheduled(vmi *v1.VirtualMachineInstance, node string, net *netInfo, now time.Time) bool {
	st := &vmi.Status
	if st.NodeName != "" || (st.Phase != v1.Pending && st.Phase != v1.VmPhaseUnset) {
		return false
	}
	st.NodeName = node
	st.Reason, st.Message = "", ""
	setPhase(st, v1.Scheduled, now)
	if net != nil {
		st.Interfaces = mergeInterfaces(*net, nil, nil)
	}
	setCondition(st, notRunningReady(), now)
	return true
}

// applyRunning writes what is observed of a running VMI. A final VMI is
// never touched again.
func applyRunning(vmi *v1.VirtualMachineInstance, in runningInputs) bool {
	st := &vmi.Status
	if st.Phase.IsFinal() {
		return false
	}
	changed := false
	if st.Phase != v1.Running {
		setPhase(st, v1.Running, in.Now)
		st.Reason, st.Message = "", ""
		changed = true
	}
	if in.Net != nil {
		ifaces := mergeInterfaces(*in.Net, in.Obs.GuestIfaces, st.Interfaces)
		if !interfacesEqual(ifaces, st.Interfaces) {
			st.Interfaces, changed = ifaces, true
		}
	}
	if os := in.Obs.OSInfo; os != nil && *os != st.GuestOSInfo {
		st.GuestOSInfo, changed = *os, true
	}
	changed = applyWatchdog(st, in) || changed
	changed = setCondition(st, readyCondition(vmi, in.Obs), in.Now) || changed
	changed = applyAgentCondition(st, in.Obs, in.Now) || changed
	if in.Obs.Paused {
		changed = setCondition(st, condition(v1.VirtualMachineInstancePaused, true, ReasonPausedByUser,
			"the vCPUs are paused"), in.Now) || changed
	} else {
		changed = removeCondition(st, v1.VirtualMachineInstancePaused) || changed
	}
	return changed
}

// readyCondition is the Ready condition of a running VMI.
func readyCondition(vmi *v1.VirtualMachineInstance, obs observation) v1.VirtualMachineInstanceCondition {
	switch {
	case obs.Terminating:
		return condition(v1.VirtualMachineInstanceReady, false, ReasonTerminating, "the VMI is being stopped")
	case obs.Paused:
		// KubeVirt's words (its launcher pod's readiness gate).
		return condition(v1.VirtualMachineInstanceReady, false, ReasonPaused, "the virtual machine is paused")
	case vmi.Spec.ReadinessProbe == nil:
		return condition(v1.VirtualMachineInstanceReady, true, "", "")
	case obs.Readiness != nil:
		return condition(v1.VirtualMachineInstanceReady, obs.Readiness.Ready, obs.Readiness.Reason, obs.Readiness.Message)
	default:
		return condition(v1.VirtualMachineInstanceReady, false, ReasonReadinessProbePending, pendingMessage)
	}
}

func applyAgentCondition(st *v1.VirtualMachineInstanceStatus, obs observation, now time.Time) bool {
	if !obs.AgentKnown {
		return false
	}
	if obs.AgentConnected {
		return setCondition(st, condition(v1.VirtualMachineInstanceAgentConnected, true, "", ""), now)
	}
	return setCondition(st, condition(v1.VirtualMachineInstanceAgentConnected, false, ReasonAgentNotResponding,
		"the guest agent does not answer guest-ping"), now)
}

func applyWatchdog(st *v1.VirtualMachineInstanceStatus, in runningInputs) bool {
	if in.Obs.WatchdogFirings == 0 {
		return false
	}
	// Stored times have whole seconds: compare in that form, or every
	// reconcile would see a change.
	fired := metav1.NewTime(in.Obs.WatchdogLastFired).Rfc3339Copy()
	want := v1.WatchdogStatus{Firings: in.WatchdogBase + in.Obs.WatchdogFirings, LastAction: in.Obs.WatchdogAction, LastFired: &fired}
	if w := st.Watchdog; w != nil && w.Firings == want.Firings && w.LastAction == want.LastAction &&
		w.LastFired != nil && w.LastFired.Equal(want.LastFired) {
		return false
	}
	st.Watchdog = &want
	return true
}

// applyFinal ends the VMI in a final phase with a reason and a message.
func applyFinal(vmi *v1.VirtualMachineInstance, f final, now time.Time) bool {
	st := &vmi.Status
	if st.Phase.IsFinal() {
		return false
	}
	setPhase(st, f.Phase, now)
	st.Reason, st.Message = f.Reason, f.Message
	setCondition(st, notRunningReady(), now)
	removeCondition(st, v1.VirtualMachineInstanceAgentConnected)
	removeCondition(st, v1.VirtualMachineInstancePaused)
	return true
}
