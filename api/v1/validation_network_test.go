package v1

import (
	"testing"
)

func TestValidateNetworks(t *testing.T) {
	const (
		n = "spec.networks"
		i = "spec.domain.devices.interfaces"
	)
	pod := NetworkSource{Pod: &PodNetwork{}}
	masq := InterfaceBindingMethod{Masquerade: &InterfaceMasquerade{}}
	runVMISpecCases(t, []specCase{{
		name: "interfaces bound to networks, with ports",
		mutate: func(s *VirtualMachineInstanceSpec) {
			s.Networks = []Network{{Name: "default", NetworkSource: pod}, {Name: "second", NetworkSource: pod}}
			s.Domain.Devices.Interfaces = []Interface{
				{Name: "default", InterfaceBindingMethod: masq, MacAddress: "02:00:00:00:00:01",
					Ports: []Port{{Name: "http", Port: 1500}, {Port: 53, Protocol: "UDP"}}},
				{Name: "second", Ports: []Port{{Name: "ssh", Port: 22, Protocol: "TCP"}}},
			}
		},
	}, {
		name: "network problems",
		mutate: func(s *VirtualMachineInstanceSpec) {
			s.Networks = []Network{{Name: "a", NetworkSource: pod}, {Name: "a", NetworkSource: pod}, {}}
		},
		want: []string{
			n + `[1].name: Duplicate value: "a"`,
			n + `[2].name: Required value`,
			n + `[2]: Required value: a network source is required: pod: {}`,
		},
	}, {
		name: "interface problems",
		mutate: func(s *VirtualMachineInstanceSpec) {
			s.Networks = []Network{{Name: "default", NetworkSource: pod}}
			s.Domain.Devices.Interfaces = []Interface{
				{Name: "default", InterfaceBindingMethod: InterfaceBindingMethod{
					Bridge: &InterfaceBridge{}, Masquerade: &InterfaceMasquerade{}}, MacAddress: "nope"},
				{Name: "default"},
				{Name: "other"},
				{},
			}
		},
		want: []string{
			i + `[0]: Invalid value: may have at most one of bridge and masquerade set`,
			i + `[0].macAddress: Invalid value: "nope": must be a valid MAC address such as 02:00:00:00:00:01`,
			i + `[1].name: Duplicate value: "default"`,
			i + `[2].name: Invalid value: "other": must name a network in spec.networks (networks: default)`,
			i + `[3].name: Required value: the name of the network this interface connects to`,
		},
	}, {
		name: "interface without networks",
		mutate: func(s *VirtualMachineInstanceSpec) {
			s.Domain.Devices.Interfaces = []Interface{{Name: "default"}}
		},
		want: []string{i + `[0].name: Invalid value: "default": must name a network in spec.networks, but there are no networks`},
	}, {
		name: "port problems",
		mutate: func(s *VirtualMachineInstanceSpec) {
			s.Networks = []Network{{Name: "a", NetworkSource: pod}, {Name: "b", NetworkSource: pod}}
			s.Domain.Devices.Interfaces = []Interface{
				{Name: "a", Ports: []Port{{Name: "http", Port: 0}, {Name: "HTTP", Port: 80, Protocol: "SCTP"}}},
				{Name: "b", Ports: []Port{{Name: "http", Port: 65536}}},
			}
		},
		want: []string{
			i + `[0].ports[0].port: Invalid value: 0: must be between 1 and 65535, inclusive`,
			i + `[0].ports[1].protocol: Unsupported value: "SCTP": supported values: "TCP", "UDP"`,
			i + `[0].ports[1].name: Invalid value: "HTTP": must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-); must contain at least one letter (a-z)`,
			i + `[1].ports[0].port: Invalid value: 65536: must be between 1 and 65535, inclusive`,
			i + `[1].ports[0].name: Duplicate value: "http"`,
		},
	}}, true)
}

func TestValidateSpecMisc(t *testing.T) {
	paused := StartStrategyPaused
	runVMISpecCases(t, []specCase{{
		name: "node selector, grace period, hostname",
		mutate: func(s *VirtualMachineInstanceSpec) {
			s.NodeSelector = map[string]string{"kubernetes.io/hostname": "node-1"}
			s.TerminationGracePeriodSeconds = ptrTo(int64(0))
			s.Hostname, s.Subdomain = "guest", "svc"
		},
	}, {
		name: "bad node selector, negative grace, bad hostname",
		mutate: func(s *VirtualMachineInstanceSpec) {
			s.NodeSelector = map[string]string{"bad key!": "x"}
			s.TerminationGracePeriodSeconds = ptrTo(int64(-5))
			s.Hostname, s.Subdomain = "Guest", "a.b"
		},
		want: []string{
			`spec.nodeSelector: Invalid value: "bad key!": name part must consist of alphanumeric characters, ` +
				`'-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or ` +
				`'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')`,
			`spec.terminationGracePeriodSeconds: Invalid value: -5: must be greater than or equal to 0`,
			`spec.hostname: Invalid value: "Guest": a lowercase RFC 1123 label must consist of lower case ` +
				`alphanumeric characters or '-', and must start and end with an alphanumeric character ` +
				`(e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')`,
			`spec.subdomain: Invalid value: "a.b": must not contain dots`,
		},
	}, {
		name:   "paused start",
		mutate: func(s *VirtualMachineInstanceSpec) { s.StartStrategy = &paused },
	}, {
		name: "paused start with guestAgentPing liveness",
		mutate: func(s *VirtualMachineInstanceSpec) {
			s.StartStrategy, s.LivenessProbe = &paused, pingProbe()
		},
	}, {
		name: "paused start with http liveness",
		mutate: func(s *VirtualMachineInstanceSpec) {
			s.StartStrategy, s.LivenessProbe = &paused, tcpProbe(intstrInt(22))
		},
		want: []string{`spec.startStrategy: Invalid value: "Paused": either spec.startStrategy or ` +
			`spec.livenessProbe should be provided: pausing a VMI with a livenessProbe other than guestAgentPing is not supported`},
	}, {
		name: "unknown start strategy",
		mutate: func(s *VirtualMachineInstanceSpec) {
			s.StartStrategy = ptrTo(StartStrategy("Running"))
		},
		want: []string{`spec.startStrategy: Unsupported value: "Running": supported values: "Paused"`},
	}}, true)
}
