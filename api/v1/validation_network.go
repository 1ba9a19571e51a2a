package v1

import (
	"net"
	"slices"
	"strings"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

// Protocols an interface port may carry; empty means TCP (left empty: the
// default is applied where the port is used, not written into the object).
var supportedPortProtocols = []corev1.Protocol{corev1.ProtocolTCP, corev1.ProtocolUDP}

// validateNetworks checks networks and interfaces: unique names, a source
// for each network, each interface bound to an existing network, and the
// interfaces' ports.
func validateNetworks(spec *VirtualMachineInstanceSpec, p *field.Path) field.ErrorList {
	var errs field.ErrorList
	networks := nameSet{}
	netPath := p.Child("networks")
	for i, n := range spec.Networks {
		nPath := netPath.Index(i)
		switch {
		case n.Name == "":
			errs = append(errs, field.Required(nPath.Child("name"), ""))
		case networks.duplicate(n.Name):
			errs = append(errs, field.Duplicate(nPath.Child("name"), n.Name))
		}
		if n.Pod == nil {
			errs = append(errs, field.Required(nPath, "a network source is required: pod: {}"))
		}
	}
	ifacePath := p.Child("domain", "devices", "interfaces")
	errs = append(errs, validateInterfaces(spec.Domain.Devices.Interfaces, ifacePath, networks, netPath)...)
	return errs
}

func validateInterfaces(ifaces []Interface, p *field.Path, networks nameSet, netPath *field.Path) field.ErrorList {
	var errs field.ErrorList
	seen, portNames := nameSet{}, nameSet{}
	for i := range ifaces {
		iface := &ifaces[i]
		iPath := p.Index(i)
		errs = append(errs, validateInterfaceName(iface.Name, iPath.Child("name"), seen, networks, netPath)...)
		if iface.Bridge != nil && iface.Masquerade != nil {
			errs = append(errs, field.Invalid(iPath, field.OmitValueType{},
				"may have at most one of bridge and masquerade set"))
		}
		if iface.MacAddress != "" {
			if _, err := net.ParseMAC(iface.MacAddress); err != nil {
				errs = append(errs, field.Invalid(iPath.Child("macAddress"), iface.MacAddress,
					"must be a valid MAC address such as 02:00:00:00:00:01"))
			}
		}
		for j := range iface.Ports {
			errs = append(errs, validatePort(&iface.Ports[j], iPath.Child("ports").Index(j), portNames)...)
		}
	}
	return errs
}

func validateInterfaceName(name string, p *field.Path, seen, networks nameSet, netPath *field.Path) field.ErrorList {
	switch {
	case name == "":
		return field.ErrorList{field.Required(p, "the name of the network this interface connects to")}
	case seen.duplicate(name):
		return field.ErrorList{field.Duplicate(p, name)}
	case !networks[name]:
		msg := "must name a network in " + netPath.String()
		if len(networks) == 0 {
			msg += ", but there are no networks"
		} else {
			msg += " (networks: " + strings.Join(networks.sortedKeys(), ", ") + ")"
		}
		return field.ErrorList{field.Invalid(p, name, msg)}
	}
	return nil
}

// validatePort checks one interface port. Port names are unique across all
// interfaces of the VMI because probes resolve a name against all of them.
func validatePort(port *Port, p *field.Path, names nameSet) field.ErrorList {
	errs := invalidIf(p.Child("port"), port.Port, validation.IsValidPortNum(int(port.Port)))
	proto := corev1.Protocol(port.Protocol)
	if proto != "" && !slices.Contains(supportedPortProtocols, proto) {
		errs = append(errs, field.NotSupported(p.Child("protocol"), port.Protocol, supportedPortProtocols))
	}
	if port.Name == "" {
		return errs
	}
	namePath := p.Child("name")
	if names.duplicate(port.Name) {
		return append(errs, field.Duplicate(namePath, port.Name))
	}
	return append(errs, invalidIf(namePath, port.Name, validation.IsValidPortName(port.Name))...)
}
