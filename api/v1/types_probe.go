package v1

import corev1 "k8s.io/api/core/v1"

// Probe is a readiness or liveness check: one handler and its timing.
type Probe struct {
	Handler `json:",inline"`
	// InitialDelaySeconds: seconds after the VM's process started before the first probe.
	InitialDelaySeconds int32 `json:"initialDelaySeconds,omitempty"`
	// TimeoutSeconds bounds one probe. Default 1; must be less than PeriodSeconds.
	TimeoutSeconds int32 `json:"timeoutSeconds,omitempty"`
	// PeriodSeconds is the time from one probe's start to the next. Default 10.
	PeriodSeconds int32 `json:"periodSeconds,omitempty"`
	// SuccessThreshold: consecutive successes after a failure before success is published. Default 1.
	SuccessThreshold int32 `json:"successThreshold,omitempty"`
	// FailureThreshold: consecutive failures before failure is published. Default 3.
	FailureThreshold int32 `json:"failureThreshold,omitempty"`
}

// Handler is the test a probe runs; exactly one member must be set.
type Handler struct {
	// Exec runs a command inside the guest through the guest agent; exit 0 is success.
	Exec *corev1.ExecAction `json:"exec,omitempty"`
	// HTTPGet succeeds on a status of 200-399.
	HTTPGet *corev1.HTTPGetAction `json:"httpGet,omitempty"`
	// TCPSocket succeeds when a connection to the guest is established.
	TCPSocket *corev1.TCPSocketAction `json:"tcpSocket,omitempty"`
	// GuestAgentPing succeeds when the guest agent answers guest-ping.
	GuestAgentPing *GuestAgentPing `json:"guestAgentPing,omitempty"`
}

// GuestAgentPing probes the QEMU guest agent with guest-ping.
type GuestAgentPing struct{}

// PauseGuestAgentProbesAnnotation, while "true" on a VMI, makes guestAgentPing report success.
const PauseGuestAgentProbesAnnotation = "kubevirt.io/pause-guest-agent-probes"
