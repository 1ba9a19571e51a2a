package v1

import (
	"testing"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
)

const (
	rp = "spec.template.spec.readinessProbe"
	lp = "spec.template.spec.livenessProbe"
)

func httpProbe(port intstr.IntOrString) *Probe {
	return &Probe{Handler: Handler{HTTPGet: &corev1.HTTPGetAction{Port: port}}}
}

func tcpProbe(port intstr.IntOrString) *Probe {
	return &Probe{Handler: Handler{TCPSocket: &corev1.TCPSocketAction{Port: port}}}
}

func pingProbe() *Probe { return &Probe{Handler: Handler{GuestAgentPing: &GuestAgentPing{}}} }

func TestValidateProbe(t *testing.T) {
	cases := []struct {
		name     string
		liveness *Probe
		ready    *Probe
		ports    []Port
		want     []string
	}{{
		name:  "valid probes of every kind",
		ready: httpProbe(intstr.FromInt32(1500)), liveness: tcpProbe(intstr.FromInt32(22)),
	}, {
		name:     "exec and guestAgentPing",
		ready:    &Probe{Handler: Handler{Exec: &corev1.ExecAction{Command: []string{"true"}}}},
		liveness: pingProbe(),
	}, {
		name:  "no handler",
		ready: &Probe{PeriodSeconds: 20},
		want: []string{rp + ": Required value: either " + rp + ".tcpSocket, " + rp + ".exec, " + rp +
			".httpGet or " + rp + ".guestAgentPing must be set if a " + rp + " is specified"},
	}, {
		name: "two handlers",
		liveness: &Probe{Handler: Handler{TCPSocket: &corev1.TCPSocketAction{Port: intstr.FromInt32(22)},
			GuestAgentPing: &GuestAgentPing{}}},
		want: []string{lp + ": Invalid value: " + lp + " must have exactly one probe type set (found tcpSocket, guestAgentPing)"},
	}, {
		name: "negative timing, every field reported",
		ready: &Probe{Handler: pingProbe().Handler, InitialDelaySeconds: -1, TimeoutSeconds: -2,
			PeriodSeconds: -3, SuccessThreshold: -4, FailureThreshold: -5},
		want: []string{
			rp + ".initialDelaySeconds: Invalid value: -1: must be greater than or equal to 0",
			rp + ".timeoutSeconds: Invalid value: -2: must be greater than or equal to 0",
			rp + ".periodSeconds: Invalid value: -3: must be greater than or equal to 0",
			rp + ".successThreshold: Invalid value: -4: must be greater than or equal to 0",
			rp + ".failureThreshold: Invalid value: -5: must be greater than or equal to 0",
		},
	}, {
		name:  "timeout equal to the default period",
		ready: &Probe{Handler: pingProbe().Handler, TimeoutSeconds: 10},
		want:  []string{rp + ".periodSeconds: Invalid value: 10: must be greater than timeoutSeconds (10)"},
	}, {
		name:     "timeout above period",
		liveness: &Probe{Handler: pingProbe().Handler, TimeoutSeconds: 30, PeriodSeconds: 20},
		want:     []string{lp + ".periodSeconds: Invalid value: 20: must be greater than timeoutSeconds (30)"},
	}, {
		name:     "period one above timeout is fine",
		liveness: &Probe{Handler: pingProbe().Handler, TimeoutSeconds: 10, PeriodSeconds: 11},
	}, {
		name:     "liveness successThreshold must be 1",
		liveness: &Probe{Handler: pingProbe().Handler, SuccessThreshold: 3},
		want:     []string{lp + ".successThreshold: Invalid value: 3: must be 1"},
	}, {
		name:  "readiness successThreshold may be more",
		ready: &Probe{Handler: pingProbe().Handler, SuccessThreshold: 3},
	}, {
		name:  "port out of range",
		ready: httpProbe(intstr.FromInt32(70000)), liveness: tcpProbe(intstr.FromInt32(-1)),
		want: []string{
			rp + ".httpGet.port: Invalid value: 70000: must be between 1 and 65535, inclusive",
			lp + ".tcpSocket.port: Invalid value: -1: must be between 1 and 65535, inclusive",
		},
	}, {
		name:  "port missing",
		ready: tcpProbe(intstr.IntOrString{}),
		want:  []string{rp + ".tcpSocket.port: Required value: a port number (1-65535) or a named port"},
	}, {
		name:  "named port resolves",
		ports: []Port{{Name: "http", Port: 1500}, {Name: "ssh", Port: 22}},
		ready: httpProbe(intstr.FromString("http")), liveness: tcpProbe(intstr.FromString("ssh")),
	}, {
		name:  "named port not declared",
		ports: []Port{{Name: "ssh", Port: 22}, {Name: "http", Port: 1500}},
		ready: httpProbe(intstr.FromString("web")),
		want: []string{rp + `.httpGet.port: Invalid value: "web": must name a port in ` +
			`spec.template.spec.domain.devices.interfaces[*].ports; named ports: http, ssh`},
	}, {
		name:  "named port without any named ports",
		ready: tcpProbe(intstr.FromString("web")),
		want: []string{rp + `.tcpSocket.port: Invalid value: "web": must name a port in ` +
			`spec.template.spec.domain.devices.interfaces[*].ports, but no interface declares a named port`},
	}, {
		name:  "port name not an IANA service name",
		ready: tcpProbe(intstr.FromString("Web_1")),
		want: []string{rp + `.tcpSocket.port: Invalid value: "Web_1": ` +
			`must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)`},
	}, {
		name:  "numeric string is not a port name",
		ready: tcpProbe(intstr.FromString("1500")),
		want:  []string{rp + `.tcpSocket.port: Invalid value: "1500": must contain at least one letter (a-z)`},
	}, {
		name: "scheme, headers and host",
		ready: &Probe{Handler: Handler{HTTPGet: &corev1.HTTPGetAction{Port: intstr.FromInt32(80),
			Scheme: "FTP", Host: "not a host",
			HTTPHeaders: []corev1.HTTPHeader{{Name: "Custom-Header", Value: "Awesome"}, {Name: "Bad Header"}}}}},
		want: []string{
			rp + `.httpGet.host: Invalid value: "not a host": must be a valid IP address or DNS name`,
			rp + `.httpGet.scheme: Unsupported value: "FTP": supported values: "HTTP", "HTTPS"`,
			rp + `.httpGet.httpHeaders[1].name: Invalid value: "Bad Header": a valid HTTP header must consist of ` +
				`alphanumeric characters or '-' (e.g. 'X-Header-Name', regex used for validation is '[-A-Za-z0-9]+')`,
		},
	}, {
		name: "valid hosts",
		ready: &Probe{Handler: Handler{HTTPGet: &corev1.HTTPGetAction{Port: intstr.FromInt32(80),
			Host: "10.0.0.2", Scheme: corev1.URISchemeHTTPS}}},
		liveness: &Probe{Handler: Handler{TCPSocket: &corev1.TCPSocketAction{Port: intstr.FromInt32(80),
			Host: "guest.example.com"}}},
	}, {
		name:     "tcp host invalid",
		liveness: &Probe{Handler: Handler{TCPSocket: &corev1.TCPSocketAction{Port: intstr.FromInt32(80), Host: "-x-"}}},
		want:     []string{lp + `.tcpSocket.host: Invalid value: "-x-": must be a valid IP address or DNS name`},
	}, {
		name:  "exec without command",
		ready: &Probe{Handler: Handler{Exec: &corev1.ExecAction{}}},
		want:  []string{rp + ".exec.command: Required value: the command to run in the guest through the guest agent"},
	}}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			vm := validVM()
			s := &vm.Spec.Template.Spec
			s.ReadinessProbe, s.LivenessProbe = tc.ready, tc.liveness
			if tc.ports != nil {
				s.Networks = []Network{{Name: "default", NetworkSource: NetworkSource{Pod: &PodNetwork{}}}}
				s.Domain.Devices.Interfaces = []Interface{{Name: "default", Ports: tc.ports}}
			}
			SetDefaultsVirtualMachine(vm)
			errs, warnings := ValidateVirtualMachine(vm)
			assertErrors(t, errs, tc.want)
			if len(warnings) != 0 {
				t.Errorf("warnings = %q, want none", warnings)
			}
		})
	}
}

// Validation judges the values defaulting would give, so an object that was
// not defaulted gets the same verdict.
func TestValidateProbeWithoutDefaulting(t *testing.T) {
	vmi := validVMI()
	vmi.Spec.LivenessProbe = &Probe{Handler: pingProbe().Handler, TimeoutSeconds: 10}
	vmi.Spec.ReadinessProbe = httpProbe(intstr.FromInt32(80))
	assertErrors(t, ValidateVirtualMachineInstance(vmi), []string{
		"spec.livenessProbe.periodSeconds: Invalid value: 10: must be greater than timeoutSeconds (10)",
	})
}
