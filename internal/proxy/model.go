package proxy

import (
	"cmp"
	"net/netip"
	"slices"

	corev1 "k8s.io/api/core/v1"
)

// State is what the dataplane should do: the Services that get rules, by
// "namespace/name".
type State map[string]*Service

// Service is one Service as the dataplane sees it.
type Service struct {
	Namespace, Name string
	Ports           []Port
}

// Port is one port of a Service: the addresses it is reached on (cluster
// IP first, then external IPs) and its ready endpoints.
type Port struct {
	// Name is the Service port's name ("" for a single unnamed port).
	Name string
	// Protocol is "tcp" or "udp".
	Protocol string
	Port     uint16
	Addrs    []netip.Addr
	// Endpoints are the ready backends, sorted; none means connections
	// are refused.
	Endpoints []Endpoint
}

// Endpoint is one ready backend of a port.
type Endpoint struct {
	IP   netip.Addr
	Port uint16
}

func (e Endpoint) String() string { return netip.AddrPortFrom(e.IP, e.Port).String() }

// ServiceFrom is the dataplane's view of a Service and its Endpoints (ready
// addresses only; eps may be nil). It is nil for a Service that gets no
// rules: headless, ExternalName, or without an address or a TCP/UDP port.
func ServiceFrom(svc *corev1.Service, eps *corev1.Endpoints) *Service {
	if svc.Spec.Type == corev1.ServiceTypeExternalName {
		return nil
	}
	addrs := serviceAddrs(svc)
	if len(addrs) == 0 {
		return nil
	}
	out := &Service{Namespace: svc.Namespace, Name: svc.Name}
	for _, p := range svc.Spec.Ports {
		proto, ok := protocolOf(p.Protocol)
		if !ok || p.Port <= 0 || p.Port > 65535 {
			continue
		}
		out.Ports = append(out.Ports, Port{Name: p.Name, Protocol: proto, Port: uint16(p.Port),
			Addrs: addrs, Endpoints: readyEndpoints(eps, p.Name, p.Protocol)})
	}
	if len(out.Ports) == 0 {
		return nil
	}
	return out
}

// serviceAddrs: the cluster IP (unless headless), then the external IPs,
// IPv4 only, each once.
func serviceAddrs(svc *corev1.Service) []netip.Addr {
	var out []netip.Addr
	for _, s := range append([]string{svc.Spec.ClusterIP}, svc.Spec.ExternalIPs...) {
		ip, err := netip.ParseAddr(s)
		if err == nil && ip.Is4() && !slices.Contains(out, ip) {
			out = append(out, ip)
		}
	}
	return out
}

func protocolOf(p corev1.Protocol) (string, bool) {
	switch p {
	case corev1.ProtocolTCP, "":
		return "tcp", true
	case corev1.ProtocolUDP:
		return "udp", true
	}
	return "", false
}

// readyEndpoints collects the ready addresses of every subset that serves
// the Service port of that name and protocol, sorted and each once.
func readyEndpoints(eps *corev1.Endpoints, name string, proto corev1.Protocol) []Endpoint {
	if eps == nil {
		return nil
	}
	want, _ := protocolOf(proto)
	var out []Endpoint
	for _, ss := range eps.Subsets {
		for _, p := range ss.Ports {
			got, ok := protocolOf(p.Protocol)
			if p.Name != name || !ok || got != want || p.Port <= 0 || p.Port > 65535 {
				continue
			}
			for _, a := range ss.Addresses {
				if ip, err := netip.ParseAddr(a.IP); err == nil && ip.Is4() {
					out = append(out, Endpoint{IP: ip, Port: uint16(p.Port)})
				}
			}
		}
	}
	slices.SortFunc(out, func(a, b Endpoint) int {
		return cmp.Or(a.IP.Compare(b.IP), cmp.Compare(a.Port, b.Port))
	})
	return slices.Compact(out)
}

// key is the Service's "namespace/name".
func (s *Service) key() string { return s.Namespace + "/" + s.Name }

// portID names a port in chain names: its name, else its number.
func (p *Port) portID() string {
	if p.Name != "" {
		return p.Name
	}
	return itoa(int(p.Port))
}
