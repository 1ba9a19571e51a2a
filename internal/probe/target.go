package probe

import (
	"context"
	"fmt"

	"k8s.io/apimachinery/pkg/util/intstr"

	v1 "vigil.dev/vigil/api/v1"
	"vigil.dev/vigil/internal/probe/prober"
)

// Target is where the host reaches a VMI.
type Target struct {
	// IP is the VMI's own address (on the node's bridge); httpGet and
	// tcpSocket probes go there unless they set host.
	IP string
}

// Binding is everything needed to build the prober of one probe of one VMI.
type Binding struct {
	Kind Kind
	// Probe is the probe after defaults.
	Probe *v1.Probe
	VMI   *v1.VirtualMachineInstance
	// Target is the VMI's address.
	Target Target
	// Agent returns the VMI's guest-agent client at each probe.
	Agent func() (prober.Agent, error)
}

// BuildFunc builds the prober for one probe. An error is not fatal: the
// probe then ends every period as an internal error, with an event.
type BuildFunc func(b Binding) (prober.Prober, error)

// NewBuilder returns the BuildFunc that makes the real probers of package
// prober, HTTP ones with opts.
func NewBuilder(opts prober.HTTPOptions) BuildFunc {
	return func(b Binding) (prober.Prober, error) { return build(b, opts) }
}

func build(b Binding, opts prober.HTTPOptions) (prober.Prober, error) {
	path := "spec." + fieldName(b.Kind)
	p := b.Probe
	switch TypeOf(p) {
	case TypeHTTP:
		t, err := resolve(b, p.HTTPGet.Host, p.HTTPGet.Port, path+".httpGet")
		if err != nil {
			return nil, err
		}
		pr, err := prober.NewHTTP(p.HTTPGet, t, opts)
		if err != nil {
			return nil, fmt.Errorf("%s.%w", path, err)
		}
		return pr, nil
	case TypeTCP:
		t, err := resolve(b, p.TCPSocket.Host, p.TCPSocket.Port, path+".tcpSocket")
		if err != nil {
			return nil, err
		}
		return prober.NewTCP(t), nil
	case TypePing:
		return prober.NewGuestAgentPing(agentOrError(b.Agent)), nil
	case TypeExec:
		return prober.NewExec(agentOrError(b.Agent), p.Exec.Command), nil
	default:
		return nil, fmt.Errorf("%s: exactly one of httpGet, tcpSocket, guestAgentPing or exec must be set", path)
	}
}

// fieldName is the spec field of a probe kind.
func fieldName(k Kind) string {
	if k == Liveness {
		return "livenessProbe"
	}
	return "readinessProbe"
}

// resolve picks the host (the probe's own, else the VMI's IP) and turns a
// named port into its number through spec.domain.devices.interfaces[].ports.
func resolve(b Binding, host string, port intstr.IntOrString, path string) (prober.Target, error) {
	if host == "" {
		host = b.Target.IP
	}
	if host == "" {
		return prober.Target{}, fmt.Errorf("%s.host: not set and the VMI has no IP address yet", path)
	}
	n, err := portNumber(b.VMI, port, path+".port")
	if err != nil {
		return prober.Target{}, err
	}
	return prober.Target{Host: host, Port: n}, nil
}

func portNumber(vmi *v1.VirtualMachineInstance, port intstr.IntOrString, path string) (int, error) {
	if port.Type == intstr.Int {
		if port.IntVal < 1 || port.IntVal > 65535 {
			return 0, fmt.Errorf("%s: %d is not a valid port number", path, port.IntVal)
		}
		return int(port.IntVal), nil
	}
	if vmi != nil {
		for _, iface := range vmi.Spec.Domain.Devices.Interfaces {
			for _, p := range iface.Ports {
				if p.Name == port.StrVal && p.Port >= 1 && p.Port <= 65535 {
					return int(p.Port), nil
				}
			}
		}
	}
	return 0, fmt.Errorf("%s: named port %q not found in spec.domain.devices.interfaces[].ports", path, port.StrVal)
}

// agentOrError guards against a caller that gave no agent source: the
// guest-agent probes then fail, saying so.
func agentOrError(agent func() (prober.Agent, error)) func() (prober.Agent, error) {
	if agent != nil {
		return agent
	}
	return func() (prober.Agent, error) { return nil, fmt.Errorf("no guest agent channel for this VMI") }
}

// unrunnable stands in for a prober that could not be built: every probe
// is an internal error carrying the reason.
type unrunnable struct{ reason string }

var _ prober.Prober = unrunnable{}

func (u unrunnable) Probe(context.Context) prober.Outcome {
	return prober.Outcome{Result: prober.Unknown, Output: u.reason}
}
