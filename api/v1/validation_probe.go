package v1

import (
	"fmt"
	"slices"
	"strings"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

// namedPorts are the port names the VMI's interfaces declare: a probe may
// name its port instead of numbering it.
type namedPorts struct {
	names          []string // sorted, unique
	interfacesPath *field.Path
}

func interfacePortNames(ifaces []Interface) []string {
	set := nameSet{}
	for _, iface := range ifaces {
		for _, p := range iface.Ports {
			if p.Name != "" {
				set[p.Name] = true
			}
		}
	}
	return set.sortedKeys()
}

// validateProbe checks one probe: exactly one handler, timing (see
// probe-semantics.md: all >= 0, periodSeconds > timeoutSeconds, liveness
// successThreshold 1) and the handler's own fields.
func validateProbe(p *Probe, path *field.Path, liveness bool, ports namedPorts) field.ErrorList {
	if p == nil {
		return nil
	}
	errs := validateProbeHandlerCount(&p.Handler, path)
	errs = append(errs, validateProbeTiming(p, path, liveness)...)
	if p.HTTPGet != nil {
		errs = append(errs, validateHTTPGet(p.HTTPGet, path.Child("httpGet"), ports)...)
	}
	if p.TCPSocket != nil {
		tcpPath := path.Child("tcpSocket")
		errs = append(errs, validateProbePort(p.TCPSocket.Port, tcpPath.Child("port"), ports)...)
		errs = append(errs, validateProbeHost(p.TCPSocket.Host, tcpPath.Child("host"))...)
	}
	if p.Exec != nil && len(p.Exec.Command) == 0 {
		errs = append(errs, field.Required(path.Child("exec", "command"),
			"the command to run in the guest through the guest agent"))
	}
	return errs
}

func validateProbeHandlerCount(h *Handler, path *field.Path) field.ErrorList {
	var set []string
	for _, m := range []struct {
		name string
		set  bool
	}{
		{"exec", h.Exec != nil},
		{"httpGet", h.HTTPGet != nil},
		{"tcpSocket", h.TCPSocket != nil},
		{"guestAgentPing", h.GuestAgentPing != nil},
	} {
		if m.set {
			set = append(set, m.name)
		}
	}
	switch {
	case len(set) == 0:
		return field.ErrorList{field.Required(path, fmt.Sprintf(
			"either %s, %s, %s or %s must be set if a %s is specified",
			path.Child("tcpSocket"), path.Child("exec"), path.Child("httpGet"), path.Child("guestAgentPing"), path))}
	case len(set) > 1:
		return field.ErrorList{field.Invalid(path, field.OmitValueType{}, fmt.Sprintf(
			"%s must have exactly one probe type set (found %s)", path, strings.Join(set, ", ")))}
	}
	return nil
}

// effective is the value defaulting gives a probe field: 0 means the default.
func effective(v, def int32) int32 {
	if v == 0 {
		return def
	}
	return v
}

func validateProbeTiming(p *Probe, path *field.Path, liveness bool) field.ErrorList {
	var errs field.ErrorList
	for _, f := range []struct {
		name string
		v    int32
	}{
		{"initialDelaySeconds", p.InitialDelaySeconds},
		{"timeoutSeconds", p.TimeoutSeconds},
		{"periodSeconds", p.PeriodSeconds},
		{"successThreshold", p.SuccessThreshold},
		{"failureThreshold", p.FailureThreshold},
	} {
		if f.v < 0 {
			errs = append(errs, field.Invalid(path.Child(f.name), f.v, "must be greater than or equal to 0"))
		}
	}
	period := effective(p.PeriodSeconds, DefaultProbePeriodSeconds)
	timeout := effective(p.TimeoutSeconds, DefaultProbeTimeoutSeconds)
	if period >= 0 && timeout >= 0 && period <= timeout {
		errs = append(errs, field.Invalid(path.Child("periodSeconds"), period,
			fmt.Sprintf("must be greater than timeoutSeconds (%d)", timeout)))
	}
	if st := effective(p.SuccessThreshold, DefaultProbeSuccessThreshold); liveness && st > 0 && st != 1 {
		errs = append(errs, field.Invalid(path.Child("successThreshold"), st, "must be 1"))
	}
	return errs
}

var supportedSchemes = []corev1.URIScheme{corev1.URISchemeHTTP, corev1.URISchemeHTTPS}

func validateHTTPGet(g *corev1.HTTPGetAction, path *field.Path, ports namedPorts) field.ErrorList {
	errs := validateProbePort(g.Port, path.Child("port"), ports)
	errs = append(errs, validateProbeHost(g.Host, path.Child("host"))...)
	if scheme := g.Scheme; scheme != "" && !slices.Contains(supportedSchemes, scheme) {
		errs = append(errs, field.NotSupported(path.Child("scheme"), string(scheme), supportedSchemes))
	}
	for i, h := range g.HTTPHeaders {
		errs = append(errs, invalidIf(path.Child("httpHeaders").Index(i).Child("name"), h.Name,
			validation.IsHTTPHeaderName(h.Name))...)
	}
	return errs
}

// validateProbePort accepts a number from 1 to 65535 or the name of a port
// declared on one of the VMI's interfaces.
func validateProbePort(port intstr.IntOrString, path *field.Path, ports namedPorts) field.ErrorList {
	if port.Type == intstr.Int {
		if port.IntVal == 0 {
			return field.ErrorList{field.Required(path, "a port number (1-65535) or a named port")}
		}
		return invalidIf(path, port.IntVal, validation.IsValidPortNum(int(port.IntVal)))
	}
	name := port.StrVal
	if msgs := validation.IsValidPortName(name); len(msgs) > 0 {
		return invalidIf(path, name, msgs)
	}
	if slices.Contains(ports.names, name) {
		return nil
	}
	portsPath := ports.interfacesPath.String() + "[*].ports"
	if len(ports.names) == 0 {
		return field.ErrorList{field.Invalid(path, name, fmt.Sprintf(
			"must name a port in %s, but no interface declares a named port", portsPath))}
	}
	return field.ErrorList{field.Invalid(path, name, fmt.Sprintf(
		"must name a port in %s; named ports: %s", portsPath, strings.Join(ports.names, ", ")))}
}

// validateProbeHost accepts an empty host (probe the VMI's own address), an
// IP address or a DNS name.
func validateProbeHost(host string, path *field.Path) field.ErrorList {
	if host == "" || len(validation.IsValidIP(path, host)) == 0 || len(validation.IsDNS1123Subdomain(host)) == 0 {
		return nil
	}
	return field.ErrorList{field.Invalid(path, host, "must be a valid IP address or DNS name")}
}
