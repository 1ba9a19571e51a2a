package v1

import (
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
)

// +k8s:deepcopy-gen:interfaces=k8s.io/apimachinery/pkg/runtime.Object

// VirtualMachine is a VM definition: its run strategy decides when a
// VirtualMachineInstance made from its template must exist.
type VirtualMachine struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`
	Spec              VirtualMachineSpec   `json:"spec"`
	Status            VirtualMachineStatus `json:"status,omitempty"`
}

// +k8s:deepcopy-gen:interfaces=k8s.io/apimachinery/pkg/runtime.Object

// VirtualMachineList is a list of VirtualMachines.
type VirtualMachineList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []VirtualMachine `json:"items"`
}

// VirtualMachineRunStrategy says when a VM's instance must run.
type VirtualMachineRunStrategy string

// The run strategies, as KubeVirt names them.
const (
	RunStrategyAlways         VirtualMachineRunStrategy = "Always"
	RunStrategyRerunOnFailure VirtualMachineRunStrategy = "RerunOnFailure"
	RunStrategyManual         VirtualMachineRunStrategy = "Manual"
	RunStrategyHalted         VirtualMachineRunStrategy = "Halted"
	RunStrategyOnce           VirtualMachineRunStrategy = "Once"
)

// RunStrategies lists the valid run strategies, in KubeVirt's order.
var RunStrategies = []VirtualMachineRunStrategy{
	RunStrategyAlways, RunStrategyRerunOnFailure, RunStrategyManual, RunStrategyHalted, RunStrategyOnce,
}

// VirtualMachineSpec is what the user asks of a VM.
type VirtualMachineSpec struct {
	// Running is deprecated: true means Always, false or unset means Halted.
	// It is mutually exclusive with RunStrategy.
	Running     *bool                      `json:"running,omitempty"`
	RunStrategy *VirtualMachineRunStrategy `json:"runStrategy,omitempty"`
	// Template is the VMI created for this VM.
	Template *VirtualMachineInstanceTemplateSpec `json:"template"`
}

// VirtualMachineInstanceTemplateSpec is the metadata and spec of the VMIs a VM creates.
type VirtualMachineInstanceTemplateSpec struct {
	ObjectMeta metav1.ObjectMeta          `json:"metadata,omitempty"`
	Spec       VirtualMachineInstanceSpec `json:"spec,omitempty"`
}

// VirtualMachinePrintableStatus is the one-word state `vigil get vm` shows.
type VirtualMachinePrintableStatus string

// Printable statuses used by vigil (a subset of KubeVirt's).
const (
	VirtualMachineStatusStopped          VirtualMachinePrintableStatus = "Stopped"
	VirtualMachineStatusProvisioning     VirtualMachinePrintableStatus = "Provisioning"
	VirtualMachineStatusStarting         VirtualMachinePrintableStatus = "Starting"
	VirtualMachineStatusRunning          VirtualMachinePrintableStatus = "Running"
	VirtualMachineStatusPaused           VirtualMachinePrintableStatus = "Paused"
	VirtualMachineStatusStopping         VirtualMachinePrintableStatus = "Stopping"
	VirtualMachineStatusTerminating      VirtualMachinePrintableStatus = "Terminating"
	VirtualMachineStatusCrashLoopBackOff VirtualMachinePrintableStatus = "CrashLoopBackOff"
	VirtualMachineStatusUnknown          VirtualMachinePrintableStatus = "Unknown"
	VirtualMachineStatusUnschedulable    VirtualMachinePrintableStatus = "ErrorUnschedulable"
)

// VirtualMachineStatus is what the VM controller observed.
type VirtualMachineStatus struct {
	// Created is true while a VMI of this VM exists.
	Created bool `json:"created,omitempty"`
	// Ready mirrors the VMI's Ready condition.
	Ready           bool                          `json:"ready,omitempty"`
	PrintableStatus VirtualMachinePrintableStatus `json:"printableStatus,omitempty"`
	Conditions      []VirtualMachineCondition     `json:"conditions,omitempty"`
	// StateChangeRequests are pending start/stop requests (from the
	// start/stop/restart subresources), consumed by the VM controller.
	StateChangeRequests []VirtualMachineStateChangeRequest `json:"stateChangeRequests,omitempty"`
	// StartFailure tracks the crash loop: VMIs that ended without ever running.
	StartFailure *VirtualMachineStartFailure `json:"startFailure,omitempty"`
	// RunStrategy is the strategy in force (derived from running/runStrategy).
	RunStrategy        VirtualMachineRunStrategy `json:"runStrategy,omitempty"`
	ObservedGeneration int64                     `json:"observedGeneration,omitempty"`
	DesiredGeneration  int64                     `json:"desiredGeneration,omitempty"`
}

// VirtualMachineStartFailure records consecutive failed starts for the crash-loop backoff.
type VirtualMachineStartFailure struct {
	ConsecutiveFailCount int          `json:"consecutiveFailCount,omitempty"`
	LastFailedVMIUID     types.UID    `json:"lastFailedVMIUID,omitempty"`
	RetryAfterTimestamp  *metav1.Time `json:"retryAfterTimestamp,omitempty"`
}

// StateChangeRequestAction is a requested change of a VM's running state.
type StateChangeRequestAction string

// The two actions a start/stop/restart request is made of.
const (
	StartRequest StateChangeRequestAction = "Start"
	StopRequest  StateChangeRequestAction = "Stop"
)

// VirtualMachineStateChangeRequest is one pending start or stop.
type VirtualMachineStateChangeRequest struct {
	Action StateChangeRequestAction `json:"action"`
	Data   map[string]string        `json:"data,omitempty"`
	// UID names the VMI a Stop is meant for; a Stop for a VMI that is gone is void.
	UID *types.UID `json:"uid,omitempty"`
}

// VirtualMachineConditionType names a VM condition.
type VirtualMachineConditionType string

// VM condition types.
const (
	VirtualMachineReady   VirtualMachineConditionType = "Ready"
	VirtualMachinePaused  VirtualMachineConditionType = "Paused"
	VirtualMachineFailure VirtualMachineConditionType = "Failure"
)

// VirtualMachineCondition is a condition of a VM.
type VirtualMachineCondition struct {
	Type               VirtualMachineConditionType `json:"type"`
	Status             corev1.ConditionStatus      `json:"status"`
	LastProbeTime      metav1.Time                 `json:"lastProbeTime,omitempty"`
	LastTransitionTime metav1.Time                 `json:"lastTransitionTime,omitempty"`
	Reason             string                      `json:"reason,omitempty"`
	Message            string                      `json:"message,omitempty"`
}
