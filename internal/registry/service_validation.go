package registry

import (
	corev1 "k8s.io/api/core/v1"
	metav1validation "k8s.io/apimachinery/pkg/apis/meta/v1/validation"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/apimachinery/pkg/util/sets"
	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

var (
	serviceTypes = []corev1.ServiceType{
		corev1.ServiceTypeClusterIP, corev1.ServiceTypeNodePort,
		corev1.ServiceTypeLoadBalancer, corev1.ServiceTypeExternalName,
	}
	protocols        = []corev1.Protocol{corev1.ProtocolTCP, corev1.ProtocolUDP, corev1.ProtocolSCTP}
	sessionAffinties = []corev1.ServiceAffinity{corev1.ServiceAffinityNone, corev1.ServiceAffinityClientIP}
)

// validateServiceSpec is a subset of Kubernetes' Service validation: the
// fields the endpoints controller and the dataplane read.
func validateServiceSpec(spec *corev1.ServiceSpec, fldPath *field.Path) field.ErrorList {
	var errs field.ErrorList
	if !sets.New(serviceTypes...).Has(spec.Type) {
		errs = append(errs, field.NotSupported(fldPath.Child("type"), spec.Type, serviceTypes))
	}
	if !sets.New(sessionAffinties...).Has(spec.SessionAffinity) {
		errs = append(errs, field.NotSupported(fldPath.Child("sessionAffinity"), spec.SessionAffinity, sessionAffinties))
	}
	needPorts := spec.Type != corev1.ServiceTypeExternalName && spec.ClusterIP != corev1.ClusterIPNone
	if needPorts && len(spec.Ports) == 0 {
		errs = append(errs, field.Required(fldPath.Child("ports"), ""))
	}
	names := sets.New[string]()
	for i := range spec.Ports {
		errs = append(errs, validateServicePort(&spec.Ports[i], len(spec.Ports) > 1, names, fldPath.Child("ports").Index(i))...)
	}
	errs = append(errs, metav1validation.ValidateLabels(spec.Selector, fldPath.Child("selector"))...)
	return errs
}

// validateServicePort checks one port; names collects the names seen so far.
func validateServicePort(p *corev1.ServicePort, nameRequired bool, names sets.Set[string], fldPath *field.Path) field.ErrorList {
	var errs field.ErrorList
	switch {
	case p.Name == "" && nameRequired:
		errs = append(errs, field.Required(fldPath.Child("name"), "must be set when the service has more than one port"))
	case p.Name != "":
		for _, msg := range validation.IsDNS1123Label(p.Name) {
			errs = append(errs, field.Invalid(fldPath.Child("name"), p.Name, msg))
		}
		if names.Has(p.Name) {
			errs = append(errs, field.Duplicate(fldPath.Child("name"), p.Name))
		}
		names.Insert(p.Name)
	}
	errs = append(errs, validatePortNumber(int(p.Port), fldPath.Child("port"))...)
	errs = append(errs, validateProtocol(p.Protocol, fldPath.Child("protocol"))...)
	errs = append(errs, validateTargetPort(p.TargetPort, fldPath.Child("targetPort"))...)
	if p.NodePort != 0 {
		errs = append(errs, validatePortNumber(int(p.NodePort), fldPath.Child("nodePort"))...)
	}
	return errs
}

func validateTargetPort(tp intstr.IntOrString, fldPath *field.Path) field.ErrorList {
	if tp.Type == intstr.String {
		var errs field.ErrorList
		for _, msg := range validation.IsValidPortName(tp.StrVal) {
			errs = append(errs, field.Invalid(fldPath, tp.StrVal, msg))
		}
		return errs
	}
	return validatePortNumber(int(tp.IntVal), fldPath)
}

func validatePortNumber(port int, fldPath *field.Path) field.ErrorList {
	var errs field.ErrorList
	for _, msg := range validation.IsValidPortNum(port) {
		errs = append(errs, field.Invalid(fldPath, port, msg))
	}
	return errs
}

func validateProtocol(p corev1.Protocol, fldPath *field.Path) field.ErrorList {
	if p == "" {
		return field.ErrorList{field.Required(fldPath, "")}
	}
	if !sets.New(protocols...).Has(p) {
		return field.ErrorList{field.NotSupported(fldPath, p, protocols)}
	}
	return nil
}

// validateSubsets checks what the dataplane reads of Endpoints: addresses
// are IPs, ports are valid.
func validateSubsets(subsets []corev1.EndpointSubset, fldPath *field.Path) field.ErrorList {
	var errs field.ErrorList
	for i, ss := range subsets {
		p := fldPath.Index(i)
		for j, a := range ss.Addresses {
			errs = append(errs, validation.IsValidIP(p.Child("addresses").Index(j).Child("ip"), a.IP)...)
		}
		for j, a := range ss.NotReadyAddresses {
			errs = append(errs, validation.IsValidIP(p.Child("notReadyAddresses").Index(j).Child("ip"), a.IP)...)
		}
		for j, port := range ss.Ports {
			pp := p.Child("ports").Index(j)
			errs = append(errs, validatePortNumber(int(port.Port), pp.Child("port"))...)
			errs = append(errs, validateProtocol(port.Protocol, pp.Child("protocol"))...)
		}
	}
	return errs
}
