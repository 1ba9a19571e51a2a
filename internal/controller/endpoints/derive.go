package endpoints

import (
	"fmt"
	"net/netip"
	"strings"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/util/intstr"

	v1 "vigil.dev/vigil/api/v1"
)

// Labels the controller puts on the Endpoints it writes, besides the
// Service's own.
const (
	// ManagedByLabel marks Endpoints this controller owns; only those are
	// deleted when their Service is gone (a user may keep hand-written
	// Endpoints for a Service without a selector).
	ManagedByLabel = "endpoints.kubernetes.io/managed-by"
	// ManagedByValue is ManagedByLabel's value.
	ManagedByValue = "endpoints-controller.vigil.dev"
	// HeadlessLabel is set on the Endpoints of a Service with clusterIP
	// None, as Kubernetes does.
	HeadlessLabel = "service.kubernetes.io/headless"
)

// targetKind is the kind endpoint addresses refer to.
const targetKind = "VirtualMachineInstance"

// Ready reports whether a VMI may get new connections: its Ready condition
// is True, it is Running, and it is not being deleted.
func Ready(vmi *v1.VirtualMachineInstance) bool {
	if vmi.DeletionTimestamp != nil || vmi.Status.Phase != v1.Running {
		return false
	}
	for _, c := range vmi.Status.Conditions {
		if c.Type == v1.VirtualMachineInstanceReady {
			return c.Status == corev1.ConditionTrue
		}
	}
	return false
}

// Address is the VMI's service address, status.interfaces[0].ipAddress,
// when it is a valid IPv4 address.
func Address(vmi *v1.VirtualMachineInstance) (netip.Addr, bool) {
	if len(vmi.Status.Interfaces) == 0 {
		return netip.Addr{}, false
	}
	ip, err := netip.ParseAddr(vmi.Status.Interfaces[0].IP)
	if err != nil || !ip.Is4() {
		return netip.Addr{}, false
	}
	return ip, true
}

// Selects reports whether the Service's selector picks the VMI: same
// namespace and every selector label present. An empty selector selects
// nothing (such a Service's Endpoints are the user's to write).
func Selects(svc *corev1.Service, vmi *v1.VirtualMachineInstance) bool {
	if len(svc.Spec.Selector) == 0 || svc.Namespace != vmi.Namespace {
		return false
	}
	return labels.SelectorFromSet(svc.Spec.Selector).Matches(labels.Set(vmi.Labels))
}

// ResolvePort is the guest port a Service port sends traffic to on a VMI:
// a numeric targetPort as it is, a named one through the VMI's
// spec.domain.devices.interfaces[].ports (same name and protocol; a port
// without protocol is TCP).
func ResolvePort(p corev1.ServicePort, vmi *v1.VirtualMachineInstance) (int32, error) {
	if p.TargetPort.Type == intstr.Int {
		if p.TargetPort.IntVal == 0 {
			return p.Port, nil
		}
		return p.TargetPort.IntVal, nil
	}
	name := p.TargetPort.StrVal
	proto := p.Protocol
	if proto == "" {
		proto = corev1.ProtocolTCP
	}
	for _, iface := range vmi.Spec.Domain.Devices.Interfaces {
		for _, ip := range iface.Ports {
			ipProto := ip.Protocol
			if ipProto == "" {
				ipProto = string(corev1.ProtocolTCP)
			}
			if ip.Name == name && strings.EqualFold(ipProto, string(proto)) && ip.Port > 0 {
				return ip.Port, nil
			}
		}
	}
	return 0, fmt.Errorf("virtualmachineinstance %s/%s has no %s port named %q in spec.domain.devices.interfaces[].ports",
		vmi.Namespace, vmi.Name, proto, name)
}

// Derive is the Endpoints object a Service should have, given the VMIs of
// its namespace: every selected VMI that has an address and has not ended,
// under addresses when Ready and under notReadyAddresses otherwise, with
// the Service's ports resolved per VMI. A VMI on which a port does not
// resolve serves the other ports only; one on which none resolves is left
// out. The result is deterministic (see repack), so it can be compared
// with the stored object to skip writes that change nothing.
func Derive(svc *corev1.Service, vmis []*v1.VirtualMachineInstance) *corev1.Endpoints {
	var members []member
	for _, vmi := range vmis {
		if !Selects(svc, vmi) || vmi.Status.Phase.IsFinal() {
			continue
		}
		ip, ok := Address(vmi)
		if !ok {
			continue
		}
		ports, ok := resolvePorts(svc, vmi)
		if !ok {
			continue
		}
		members = append(members, member{address: addressOf(vmi, ip), ports: ports, ready: Ready(vmi)})
	}
	return &corev1.Endpoints{
		TypeMeta:   typeMeta,
		ObjectMeta: objectMeta(svc),
		Subsets:    repack(members),
	}
}

// resolvePorts resolves every Service port on a VMI; ok is false when the
// Service has ports and none resolves.
func resolvePorts(svc *corev1.Service, vmi *v1.VirtualMachineInstance) ([]corev1.EndpointPort, bool) {
	var out []corev1.EndpointPort
	for _, p := range svc.Spec.Ports {
		port, err := ResolvePort(p, vmi)
		if err != nil {
			continue
		}
		proto := p.Protocol
		if proto == "" {
			proto = corev1.ProtocolTCP
		}
		out = append(out, corev1.EndpointPort{Name: p.Name, Port: port, Protocol: proto})
	}
	return out, len(out) > 0 || len(svc.Spec.Ports) == 0
}

func addressOf(vmi *v1.VirtualMachineInstance, ip netip.Addr) corev1.EndpointAddress {
	a := corev1.EndpointAddress{
		IP: ip.String(),
		TargetRef: &corev1.ObjectReference{
			Kind: targetKind, Namespace: vmi.Namespace, Name: vmi.Name, UID: vmi.UID,
		},
	}
	if n := vmi.Status.NodeName; n != "" {
		a.NodeName = &n
	}
	return a
}

func objectMeta(svc *corev1.Service) metav1.ObjectMeta {
	l := make(map[string]string, len(svc.Labels)+2)
	for k, v := range svc.Labels {
		l[k] = v
	}
	l[ManagedByLabel] = ManagedByValue
	if svc.Spec.ClusterIP == corev1.ClusterIPNone {
		l[HeadlessLabel] = ""
	}
	return metav1.ObjectMeta{Name: svc.Name, Namespace: svc.Namespace, Labels: l}
}
