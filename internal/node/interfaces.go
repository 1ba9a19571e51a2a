package node

import (
	"net/netip"
	"slices"
	"strings"

	v1 "vigil.dev/vigil/api/v1"
	"vigil.dev/vigil/internal/qga"
)

// Where an interface's facts came from (status.interfaces[].infoSource),
// in KubeVirt's words.
const (
	infoSourceDomain      = "domain"
	infoSourceDomainAgent = "domain, guest-agent"
)

// netInfo is the network the node gave a VMI's interface.
type netInfo struct {
	// Name is the interface's name in the spec ("default").
	Name string
	// IP is the address the node allocated (the DHCP lease).
	IP netip.Addr
	// MAC is the guest's MAC, lower case.
	MAC string
}

// guestIface is one interface as the guest agent reports it.
type guestIface struct {
	Name string
	MAC  string
	IPs  []string
}

// guestIfacesFrom converts the agent's report; the result is never nil, so
// "reported, no interfaces" differs from "not reported".
func guestIfacesFrom(in []qga.Interface) []guestIface {
	out := make([]guestIface, 0, len(in))
	for _, gi := range in {
		g := guestIface{Name: gi.Name, MAC: strings.ToLower(gi.HardwareAddress)}
		for _, a := range gi.IPAddresses {
			if ip, err := netip.ParseAddr(a.Address); err == nil && !ip.IsLinkLocalUnicast() && !ip.IsLoopback() {
				g.IPs = append(g.IPs, ip.String())
			}
		}
		out = append(out, g)
	}
	return out
}

// mergeInterfaces builds status.interfaces: the node's own facts (name,
// address, MAC) always win; the guest adds its interface name and further
// addresses. Without a guest report (guest nil) the guest-derived fields of
// the current status are kept, so a restart does not erase them.
func mergeInterfaces(ours netInfo, guest []guestIface, current []v1.VirtualMachineInstanceNetworkInterface) []v1.VirtualMachineInstanceNetworkInterface {
	out := v1.VirtualMachineInstanceNetworkInterface{Name: ours.Name, MAC: ours.MAC, InfoSource: infoSourceDomain}
	var own []string
	if ours.IP.IsValid() {
		out.IP = ours.IP.String()
		own = []string{out.IP}
	}
	out.IPs = own
	if guest != nil {
		for _, g := range guest {
			if g.MAC != "" && strings.EqualFold(g.MAC, ours.MAC) {
				out.InterfaceName = g.Name
				out.IPs = appendNew(own, g.IPs)
				out.InfoSource = infoSourceDomainAgent
				break
			}
		}
	} else {
		for _, c := range current {
			if c.Name == ours.Name && strings.EqualFold(c.MAC, ours.MAC) && c.InterfaceName != "" {
				out.InterfaceName = c.InterfaceName
				out.IPs = appendNew(own, c.IPs)
				out.InfoSource = c.InfoSource
				break
			}
		}
	}
	return []v1.VirtualMachineInstanceNetworkInterface{out}
}

// appendNew returns base followed by the entries of more not yet in it.
func appendNew(base, more []string) []string {
	out := slices.Clone(base)
	for _, s := range more {
		if !slices.Contains(out, s) {
			out = append(out, s)
		}
	}
	return out
}

func interfacesEqual(a, b []v1.VirtualMachineInstanceNetworkInterface) bool {
	return slices.EqualFunc(a, b, func(x, y v1.VirtualMachineInstanceNetworkInterface) bool {
		return x.IP == y.IP && slices.Equal(x.IPs, y.IPs) && x.MAC == y.MAC && x.Name == y.Name &&
			x.InterfaceName == y.InterfaceName && x.InfoSource == y.InfoSource
	})
}

// recordedIP returns the address the VMI's status records for the named
// interface, if any.
func recordedIP(vmi *v1.VirtualMachineInstance, name string) (netip.Addr, bool) {
	for _, c := range vmi.Status.Interfaces {
		if c.Name != name || c.IP == "" {
			continue
		}
		ip, err := netip.ParseAddr(c.IP)
		return ip, err == nil
	}
	return netip.Addr{}, false
}
