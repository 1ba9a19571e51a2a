package v1

import (
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
)

// Default values applied before validation. The probe values are KubeVirt's
// and Kubernetes' own.
const (
	DefaultProbeTimeoutSeconds           int32 = 1
	DefaultProbePeriodSeconds            int32 = 10
	DefaultProbeSuccessThreshold         int32 = 1
	DefaultProbeFailureThreshold         int32 = 3
	DefaultProbeHTTPPath                       = "/"
	DefaultProbeHTTPScheme                     = corev1.URISchemeHTTP
	DefaultWatchdogAction                      = WatchdogActionReset
	DefaultTerminationGracePeriodSeconds int64 = 30
	// DefaultNetworkName names the network and interface added to a VMI
	// that declares neither, as KubeVirt does.
	DefaultNetworkName = "default"
)

// DefaultGuestMemory is the guest memory given to a VMI that asks for none.
// KubeVirt would refuse such a VMI (the pod needs a memory request); vigil
// picks a small size instead so that the seed's manifests, which show no
// memory at all, run once a boot source is added. 128Mi is enough for the
// tiny guest and for a minimal cloud image's first boot.
var DefaultGuestMemory = resource.MustParse("128Mi")

// SetDefaultsVirtualMachine fills in the defaults of a VM's template, the
// same way SetDefaultsVirtualMachineInstance does for a VMI. It does not
// touch running/runStrategy: the VM controller derives the strategy in force.
// Applying it twice changes nothing.
func SetDefaultsVirtualMachine(vm *VirtualMachine) {
	if vm == nil || vm.Spec.Template == nil {
		return
	}
	setDefaultsVMISpec(&vm.Spec.Template.Spec)
}

// SetDefaultsVirtualMachineInstance fills in the fields of a VMI spec that
// were left empty: probe timing, HTTP probe path and scheme, the watchdog
// action, the termination grace period, guest memory and the default
// network. Only zero or empty fields are set; a negative value stays so that
// validation reports it. Applying it twice changes nothing.
func SetDefaultsVirtualMachineInstance(vmi *VirtualMachineInstance) {
	if vmi == nil {
		return
	}
	setDefaultsVMISpec(&vmi.Spec)
}

func setDefaultsVMISpec(spec *VirtualMachineInstanceSpec) {
	setDefaultsProbe(spec.ReadinessProbe)
	setDefaultsProbe(spec.LivenessProbe)
	setDefaultsWatchdog(spec.Domain.Devices.Watchdog)
	if spec.TerminationGracePeriodSeconds == nil {
		grace := DefaultTerminationGracePeriodSeconds
		spec.TerminationGracePeriodSeconds = &grace
	}
	setDefaultsMemory(&spec.Domain)
	setDefaultsNetwork(spec)
}

func setDefaultsProbe(p *Probe) {
	if p == nil {
		return
	}
	setIfZero(&p.TimeoutSeconds, DefaultProbeTimeoutSeconds)
	setIfZero(&p.PeriodSeconds, DefaultProbePeriodSeconds)
	setIfZero(&p.SuccessThreshold, DefaultProbeSuccessThreshold)
	setIfZero(&p.FailureThreshold, DefaultProbeFailureThreshold)
	if p.HTTPGet != nil {
		if p.HTTPGet.Path == "" {
			p.HTTPGet.Path = DefaultProbeHTTPPath
		}
		if p.HTTPGet.Scheme == "" {
			p.HTTPGet.Scheme = DefaultProbeHTTPScheme
		}
	}
}

func setIfZero(v *int32, def int32) {
	if *v == 0 {
		*v = def
	}
}

// setDefaultsWatchdog sets the action of an i6300esb device. A watchdog
// without any device member is left alone: validation reports it, and
// guessing the device would hide the mistake.
func setDefaultsWatchdog(w *Watchdog) {
	if w == nil || w.I6300ESB == nil {
		return
	}
	if w.I6300ESB.Action == "" {
		w.I6300ESB.Action = DefaultWatchdogAction
	}
}

// setDefaultsMemory gives guest memory to a domain that asks for none, in
// neither memory.guest nor resources.requests.memory. CPU cores are not
// defaulted: the node decides.
func setDefaultsMemory(d *DomainSpec) {
	if d.Memory != nil && d.Memory.Guest != nil {
		return
	}
	if _, ok := d.Resources.Requests[corev1.ResourceMemory]; ok {
		return
	}
	if d.Memory == nil {
		d.Memory = &Memory{}
	}
	guest := DefaultGuestMemory.DeepCopy()
	d.Memory.Guest = &guest
}

// setDefaultsNetwork connects a VMI that declares no network and no
// interface to the host's default VM network through NAT, as KubeVirt does
// with the pod network.
func setDefaultsNetwork(spec *VirtualMachineInstanceSpec) {
	if len(spec.Networks) != 0 || len(spec.Domain.Devices.Interfaces) != 0 {
		return
	}
	spec.Networks = []Network{{
		Name:          DefaultNetworkName,
		NetworkSource: NetworkSource{Pod: &PodNetwork{}},
	}}
	spec.Domain.Devices.Interfaces = []Interface{{
		Name:                   DefaultNetworkName,
		InterfaceBindingMethod: InterfaceBindingMethod{Masquerade: &InterfaceMasquerade{}},
	}}
}
