package v1

import (
	"fmt"

	metav1validation "k8s.io/apimachinery/pkg/apis/meta/v1/validation"
	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

// validateVMISpec checks a VMI spec found at path ("spec" for a VMI,
// "spec.template.spec" for a VM).
func validateVMISpec(spec *VirtualMachineInstanceSpec, path *field.Path) field.ErrorList {
	var errs field.ErrorList
	portNames := interfacePortNames(spec.Domain.Devices.Interfaces)
	ports := namedPorts{names: portNames, interfacesPath: path.Child("domain", "devices", "interfaces")}
	errs = append(errs, validateProbe(spec.ReadinessProbe, path.Child("readinessProbe"), false, ports)...)
	errs = append(errs, validateProbe(spec.LivenessProbe, path.Child("livenessProbe"), true, ports)...)
	errs = append(errs, validateDomain(&spec.Domain, path.Child("domain"))...)
	errs = append(errs, validateVolumes(spec.Volumes, path.Child("volumes"))...)
	errs = append(errs, validateDisks(spec.Domain.Devices.Disks, spec.Volumes,
		path.Child("domain", "devices", "disks"), path.Child("volumes"))...)
	errs = append(errs, validateBootSource(spec, path)...)
	errs = append(errs, validateNetworks(spec, path)...)
	errs = append(errs, metav1validation.ValidateLabels(spec.NodeSelector, path.Child("nodeSelector"))...)
	if g := spec.TerminationGracePeriodSeconds; g != nil {
		errs = append(errs, nonNegative(path.Child("terminationGracePeriodSeconds"), *g)...)
	}
	errs = append(errs, validateHostname(spec, path)...)
	errs = append(errs, validateStartStrategy(spec, path)...)
	return errs
}

// validateBootSource insists on something to boot from: without it QEMU
// would start a machine that only ever shows its firmware's "no bootable
// device", which looks like a hang to every probe.
func validateBootSource(spec *VirtualMachineInstanceSpec, path *field.Path) field.ErrorList {
	for _, v := range spec.Volumes {
		if v.ContainerDisk != nil || v.HostDisk != nil {
			return nil
		}
	}
	if fw := spec.Domain.Firmware; fw != nil && fw.KernelBoot != nil &&
		fw.KernelBoot.Container != nil && fw.KernelBoot.Container.Image != "" {
		return nil
	}
	kernelImage := path.Child("domain", "firmware", "kernelBoot", "container", "image")
	return field.ErrorList{field.Required(path.Child("volumes"), fmt.Sprintf(
		"a boot source is required: add a volume with containerDisk.image "+
			"(for example the tiny image built by `vigil image build tiny`) or hostDisk, or set %s",
		kernelImage))}
}

func validateHostname(spec *VirtualMachineInstanceSpec, path *field.Path) field.ErrorList {
	var errs field.ErrorList
	if spec.Hostname != "" {
		errs = append(errs, invalidIf(path.Child("hostname"), spec.Hostname,
			validation.IsDNS1123Label(spec.Hostname))...)
	}
	if spec.Subdomain != "" {
		errs = append(errs, invalidIf(path.Child("subdomain"), spec.Subdomain,
			validation.IsDNS1123Label(spec.Subdomain))...)
	}
	return errs
}

// validateStartStrategy accepts only Paused, and refuses to pause a VMI that
// has a liveness probe other than guestAgentPing: nothing in a paused guest
// answers, so such a probe would kill it. guestAgentPing is suppressed while
// the VMI is paused, so it may stay.
func validateStartStrategy(spec *VirtualMachineInstanceSpec, path *field.Path) field.ErrorList {
	ss := spec.StartStrategy
	if ss == nil {
		return nil
	}
	ssPath := path.Child("startStrategy")
	if *ss != StartStrategyPaused {
		return field.ErrorList{field.NotSupported(ssPath, string(*ss), []StartStrategy{StartStrategyPaused})}
	}
	if lp := spec.LivenessProbe; lp != nil && lp.GuestAgentPing == nil {
		return field.ErrorList{field.Invalid(ssPath, string(*ss), fmt.Sprintf(
			"either %s or %s should be provided: pausing a VMI with a livenessProbe other than guestAgentPing is not supported",
			ssPath, path.Child("livenessProbe")))}
	}
	return nil
}
