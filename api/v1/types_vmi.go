package v1

import (
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// +k8s:deepcopy-gen:interfaces=k8s.io/apimachinery/pkg/runtime.Object

// VirtualMachineInstance is one run of a virtual machine: one QEMU process on a node.
type VirtualMachineInstance struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`
	Spec              VirtualMachineInstanceSpec   `json:"spec"`
	Status            VirtualMachineInstanceStatus `json:"status,omitempty"`
}

// +k8s:deepcopy-gen:interfaces=k8s.io/apimachinery/pkg/runtime.Object

// VirtualMachineInstanceList is a list of VMIs.
type VirtualMachineInstanceList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []VirtualMachineInstance `json:"items"`
}

// StartStrategy says how a VMI starts.
type StartStrategy string

// StartStrategyPaused starts the VMI paused.
const StartStrategyPaused StartStrategy = "Paused"

// VirtualMachineInstanceSpec is the desired shape and health checks of a VMI.
type VirtualMachineInstanceSpec struct {
	Domain       DomainSpec        `json:"domain"`
	NodeSelector map[string]string `json:"nodeSelector,omitempty"`
	// TerminationGracePeriodSeconds is how long a graceful (ACPI) stop may
	// take before the VM is killed. Default 30; 0 kills at once.
	TerminationGracePeriodSeconds *int64   `json:"terminationGracePeriodSeconds,omitempty"`
	Volumes                       []Volume `json:"volumes,omitempty"`
	// LivenessProbe failure stops the VMI (it ends Failed); the run strategy decides what follows.
	LivenessProbe *Probe `json:"livenessProbe,omitempty"`
	// ReadinessProbe decides the VMI's Ready condition, and with it Service endpoints.
	ReadinessProbe *Probe         `json:"readinessProbe,omitempty"`
	Hostname       string         `json:"hostname,omitempty"`
	Subdomain      string         `json:"subdomain,omitempty"`
	Networks       []Network      `json:"networks,omitempty"`
	StartStrategy  *StartStrategy `json:"startStrategy,omitempty"`
}

// VirtualMachineInstancePhase is where a VMI is in its life.
type VirtualMachineInstancePhase string

// VMI phases.
const (
	VmPhaseUnset VirtualMachineInstancePhase = ""
	Pending      VirtualMachineInstancePhase = "Pending"
	Scheduling   VirtualMachineInstancePhase = "Scheduling"
	Scheduled    VirtualMachineInstancePhase = "Scheduled"
	Running      VirtualMachineInstancePhase = "Running"
	Succeeded    VirtualMachineInstancePhase = "Succeeded"
	Failed       VirtualMachineInstancePhase = "Failed"
	Unknown      VirtualMachineInstancePhase = "Unknown"
)

// IsFinal reports whether a VMI in this phase has ended for good.
func (p VirtualMachineInstancePhase) IsFinal() bool { return p == Succeeded || p == Failed }

// VirtualMachineInstanceConditionType names a VMI condition.
type VirtualMachineInstanceConditionType string

// VMI condition types.
const (
	VirtualMachineInstanceReady          VirtualMachineInstanceConditionType = "Ready"
	VirtualMachineInstanceAgentConnected VirtualMachineInstanceConditionType = "AgentConnected"
	VirtualMachineInstancePaused         VirtualMachineInstanceConditionType = "Paused"
)

// Reasons used on VMI conditions and status.
const (
	GuestNotRunningReason     = "GuestNotRunning"
	LivenessProbeFailedReason = "LivenessProbeFailed"
	WatchdogPoweroffReason    = "WatchdogPoweroff"
	WatchdogShutdownReason    = "WatchdogShutdown"
)

// VirtualMachineInstanceCondition is a condition of a VMI.
type VirtualMachineInstanceCondition struct {
	Type               VirtualMachineInstanceConditionType `json:"type"`
	Status             corev1.ConditionStatus              `json:"status"`
	LastProbeTime      metav1.Time                         `json:"lastProbeTime,omitempty"`
	LastTransitionTime metav1.Time                         `json:"lastTransitionTime,omitempty"`
	Reason             string                              `json:"reason,omitempty"`
	Message            string                              `json:"message,omitempty"`
}

// VirtualMachineInstancePhaseTransitionTimestamp records when a phase was entered.
type VirtualMachineInstancePhaseTransitionTimestamp struct {
	Phase                    VirtualMachineInstancePhase `json:"phase,omitempty"`
	PhaseTransitionTimestamp metav1.Time                 `json:"phaseTransitionTimestamp,omitempty"`
}

// VirtualMachineInstanceStatus is what the node observed of a VMI.
type VirtualMachineInstanceStatus struct {
	NodeName string `json:"nodeName,omitempty"`
	// Reason is a CamelCase word for why the VMI is in its phase (e.g. LivenessProbeFailed).
	Reason string `json:"reason,omitempty"`
	// Message says the same for people. (vigil; KubeVirt has only reason.)
	Message                   string                                           `json:"message,omitempty"`
	Conditions                []VirtualMachineInstanceCondition                `json:"conditions,omitempty"`
	Phase                     VirtualMachineInstancePhase                      `json:"phase,omitempty"`
	PhaseTransitionTimestamps []VirtualMachineInstancePhaseTransitionTimestamp `json:"phaseTransitionTimestamps,omitempty"`
	Interfaces                []VirtualMachineInstanceNetworkInterface         `json:"interfaces,omitempty"`
	GuestOSInfo               VirtualMachineInstanceGuestOSInfo                `json:"guestOSInfo,omitempty"`
	// Watchdog counts the firings of the VMI's watchdog device. (vigil; KubeVirt shows none.)
	Watchdog *WatchdogStatus `json:"watchdog,omitempty"`
	// Probes is what the node's probe engine knows of each probe of the VMI, readiness first.
	// (vigil; KubeVirt shows none.) Written when a result changes; run counts at most every 10 s.
	Probes []ProbeStatus `json:"probes,omitempty"`
}

// VirtualMachineInstanceNetworkInterface is one guest interface as seen by the node.
type VirtualMachineInstanceNetworkInterface struct {
	IP            string   `json:"ipAddress,omitempty"`
	IPs           []string `json:"ipAddresses,omitempty"`
	MAC           string   `json:"mac,omitempty"`
	Name          string   `json:"name,omitempty"`
	InterfaceName string   `json:"interfaceName,omitempty"`
	InfoSource    string   `json:"infoSource,omitempty"`
}

// VirtualMachineInstanceGuestOSInfo is what the guest agent reports of the guest OS.
type VirtualMachineInstanceGuestOSInfo struct {
	Name          string `json:"name,omitempty"`
	KernelRelease string `json:"kernelRelease,omitempty"`
	Version       string `json:"version,omitempty"`
	PrettyName    string `json:"prettyName,omitempty"`
	VersionID     string `json:"versionId,omitempty"`
	KernelVersion string `json:"kernelVersion,omitempty"`
	Machine       string `json:"machine,omitempty"`
	ID            string `json:"id,omitempty"`
}

// WatchdogStatus counts watchdog firings. (vigil)
type WatchdogStatus struct {
	Firings    int32        `json:"firings"`
	LastAction string       `json:"lastAction,omitempty"`
	LastFired  *metav1.Time `json:"lastFired,omitempty"`
}

// ProbeStatus is the node's view of one probe of a running VMI. (vigil)
type ProbeStatus struct {
	// Kind is Readiness or Liveness.
	Kind string `json:"kind"`
	// Handler is httpGet, tcpSocket, guestAgentPing or exec.
	Handler string `json:"handler"`
	// The timing the node runs, after defaults.
	InitialDelaySeconds int32 `json:"initialDelaySeconds"`
	TimeoutSeconds      int32 `json:"timeoutSeconds"`
	PeriodSeconds       int32 `json:"periodSeconds"`
	SuccessThreshold    int32 `json:"successThreshold"`
	FailureThreshold    int32 `json:"failureThreshold"`
	// Result is the published result, Success or Failure: what Ready shows (readiness) or what stopped
	// the VMI (liveness).
	Result string `json:"result"`
	// LastResult is the last probe's outcome: Success, Warning, Failure, or Error when the probe could
	// not run at all; empty before the first probe.
	LastResult string `json:"lastResult,omitempty"`
	// LastOutput is what the last probe said (an error, a status code, a command's output), bounded.
	LastOutput string `json:"lastOutput,omitempty"`
	// Run is the current streak of equal results (Warning counts as Success).
	Run *ProbeRun `json:"run,omitempty"`
	// LastProbeTime is when the last probe started.
	LastProbeTime *metav1.Time `json:"lastProbeTime,omitempty"`
	// LastTransitionTime is when Result last changed.
	LastTransitionTime *metav1.Time `json:"lastTransitionTime,omitempty"`
	// State is Probing, Suppressed (guestAgentPing answered for the guest while the VMI is paused),
	// OnHold (liveness failed; the VMI is being stopped) or Stopped (the VMI is going away).
	State string `json:"state,omitempty"`
}

// ProbeRun is a streak of equal probe results. (vigil)
type ProbeRun struct {
	Result string `json:"result"`
	Count  int32  `json:"count"`
}
