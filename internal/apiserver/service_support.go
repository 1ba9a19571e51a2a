package apiserver

import (
	"net/netip"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/validation/field"

	"vigil.dev/vigil/internal/resource"
)

// validateServiceSupport refuses the Service features the dataplane does
// not implement, rather than storing a Service that would silently not
// work: NodePort and LoadBalancer (externalIPs do their job on one host),
// ExternalName (there is no DNS), SCTP, ClientIP affinity, IPv6 and dual
// stack, and externalIPs that are not plain IPv4 unicast addresses.
func validateServiceSupport(spec *corev1.ServiceSpec, subnet netip.Prefix) field.ErrorList {
	path := field.NewPath("spec")
	var errs field.ErrorList
	switch spec.Type {
	case corev1.ServiceTypeNodePort, corev1.ServiceTypeLoadBalancer:
		errs = append(errs, field.Invalid(path.Child("type"), spec.Type, "not supported; use externalIPs"))
	case corev1.ServiceTypeExternalName:
		errs = append(errs, field.Invalid(path.Child("type"), spec.Type, "not supported: vigil serves no DNS"))
	}
	if spec.SessionAffinity == corev1.ServiceAffinityClientIP {
		errs = append(errs, field.Invalid(path.Child("sessionAffinity"), spec.SessionAffinity, "not supported; use None"))
	}
	for i, p := range spec.Ports {
		if p.Protocol == corev1.ProtocolSCTP {
			errs = append(errs, field.Invalid(path.Child("ports").Index(i).Child("protocol"), p.Protocol, "not supported; use TCP or UDP"))
		}
	}
	for i, f := range spec.IPFamilies {
		if f != corev1.IPv4Protocol {
			errs = append(errs, field.Invalid(path.Child("ipFamilies").Index(i), f, "only IPv4 is supported"))
		}
	}
	if p := spec.IPFamilyPolicy; p != nil && *p == corev1.IPFamilyPolicyRequireDualStack {
		errs = append(errs, field.Invalid(path.Child("ipFamilyPolicy"), *p, "only IPv4 is supported"))
	}
	return append(errs, validateExternalIPs(spec.ExternalIPs, subnet, path.Child("externalIPs"))...)
}

// validateExternalIPs accepts IPv4 unicast addresses outside the service
// subnet, each once.
func validateExternalIPs(ips []string, subnet netip.Prefix, path *field.Path) field.ErrorList {
	var errs field.ErrorList
	seen := map[netip.Addr]bool{}
	for i, s := range ips {
		ip, err := netip.ParseAddr(s)
		switch {
		case err != nil || !ip.Is4():
			errs = append(errs, field.Invalid(path.Index(i), s, "must be an IPv4 address"))
		case ip.IsUnspecified() || ip.IsLoopback() || ip.IsMulticast() || ip.IsLinkLocalUnicast() || ip == netip.AddrFrom4([4]byte{255, 255, 255, 255}):
			errs = append(errs, field.Invalid(path.Index(i), s, "must be a unicast address, not unspecified, loopback, link-local or multicast"))
		case subnet.Contains(ip):
			errs = append(errs, field.Invalid(path.Index(i), s, "must not be in the service subnet "+subnet.String()))
		case seen[ip]:
			errs = append(errs, field.Duplicate(path.Index(i), s))
		}
		seen[ip] = true
	}
	return errs
}

// checkServiceUpdate runs on a Service update after the registry's rules:
// the features check of a create, and the cluster IP is immutable. An
// update that leaves clusterIP (or clusterIPs, ipFamilies, ipFamilyPolicy)
// empty keeps the allocated values, as Kubernetes does, so a client that
// PUTs back a manifest without them does not lose the address. Other kinds
// pass through.
func (s *Server) checkServiceUpdate(r *resource.Info, newObj, oldObj runtime.Object) error {
	svc, ok1 := newObj.(*corev1.Service)
	old, ok2 := oldObj.(*corev1.Service)
	if r != resource.Services || !ok1 || !ok2 {
		return nil
	}
	keepAllocated(&svc.Spec, &old.Spec)
	path := field.NewPath("spec")
	errs := validateServiceSupport(&svc.Spec, s.serviceSubnet())
	if svc.Spec.ClusterIP != old.Spec.ClusterIP {
		errs = append(errs, field.Invalid(path.Child("clusterIP"), svc.Spec.ClusterIP, "field is immutable"))
	} else if svc.Spec.ClusterIP != "" && (len(svc.Spec.ClusterIPs) != 1 || svc.Spec.ClusterIPs[0] != svc.Spec.ClusterIP) {
		errs = append(errs, field.Invalid(path.Child("clusterIPs"), svc.Spec.ClusterIPs, "must hold exactly spec.clusterIP"))
	}
	if len(errs) > 0 {
		return apierrors.NewInvalid(serviceKind, svc.Name, errs)
	}
	return nil
}

// keepAllocated copies what the server chose on create into an update
// that left it empty.
func keepAllocated(spec, old *corev1.ServiceSpec) {
	if spec.ClusterIP == "" {
		if len(spec.ClusterIPs) > 0 {
			spec.ClusterIP = spec.ClusterIPs[0]
		} else {
			spec.ClusterIP = old.ClusterIP
		}
	}
	if len(spec.ClusterIPs) == 0 && spec.ClusterIP != "" {
		spec.ClusterIPs = []string{spec.ClusterIP}
	}
	if len(spec.IPFamilies) == 0 {
		spec.IPFamilies = old.IPFamilies
	}
	if spec.IPFamilyPolicy == nil {
		spec.IPFamilyPolicy = old.IPFamilyPolicy
	}
}
