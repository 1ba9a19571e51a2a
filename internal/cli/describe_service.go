package cli

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"

	"vigil.dev/vigil/internal/client"
	"vigil.dev/vigil/internal/resource"
)

// serviceEndpoints reads the Endpoints named like the Service; none yet
// is no error.
func serviceEndpoints(ctx context.Context, c *client.Client, svc *corev1.Service) (*corev1.Endpoints, error) {
	var ep corev1.Endpoints
	err := c.Get(ctx, resource.Endpoints, svc.Namespace, svc.Name, &ep)
	switch {
	case apierrors.IsNotFound(err):
		return nil, nil
	case err != nil:
		return nil, err
	}
	return &ep, nil
}

// describeService writes a Service the way kubectl describes one, plus the
// endpoints that are not ready (the VMIs whose readiness keeps them out).
func describeService(d *describer, svc *corev1.Service, eps *corev1.Endpoints, epsErr error, now time.Time) {
	d.metadata(&svc.ObjectMeta, orDefault(svc.APIVersion, "v1"), orDefault(svc.Kind, "Service"), now)
	d.line(0, "Selector", orNone(labelString(svc.Spec.Selector)))
	d.line(0, "Type", orDefault(string(svc.Spec.Type), string(corev1.ServiceTypeClusterIP)))
	if p := svc.Spec.IPFamilyPolicy; p != nil {
		d.line(0, "IP Family Policy", string(*p))
	}
	if len(svc.Spec.IPFamilies) > 0 {
		fams := make([]string, len(svc.Spec.IPFamilies))
		for i, f := range svc.Spec.IPFamilies {
			fams[i] = string(f)
		}
		d.line(0, "IP Families", strings.Join(fams, ","))
	}
	d.line(0, "IP", orNone(svc.Spec.ClusterIP))
	if len(svc.Spec.ClusterIPs) > 0 {
		d.line(0, "IPs", strings.Join(svc.Spec.ClusterIPs, ","))
	}
	if len(svc.Spec.ExternalIPs) > 0 {
		d.line(0, "External IPs", strings.Join(svc.Spec.ExternalIPs, ","))
	}
	if len(svc.Spec.Ports) == 0 {
		d.line(0, "Port", "<none>")
	}
	for _, p := range svc.Spec.Ports {
		proto := orDefault(string(p.Protocol), string(corev1.ProtocolTCP))
		d.line(0, "Port", fmt.Sprintf("%s  %d/%s", orUnset(p.Name), p.Port, proto))
		d.line(0, "TargetPort", fmt.Sprintf("%s/%s", p.TargetPort.String(), proto))
		if epsErr != nil {
			d.line(0, "Endpoints", fmt.Sprintf("<unavailable: %v>", epsErr))
			continue
		}
		ready, notReady := portEndpoints(eps, p.Name)
		d.line(0, "Endpoints", orNone(strings.Join(ready, ",")))
		if len(notReady) > 0 {
			d.line(0, "Not Ready Endpoints", strings.Join(notReady, ","))
		}
	}
	d.line(0, "Session Affinity", orDefault(string(svc.Spec.SessionAffinity), string(corev1.ServiceAffinityNone)))
}

// portEndpoints lists "ip:port (vmi)" of the subsets serving the Service
// port of that name, ready and not ready.
func portEndpoints(eps *corev1.Endpoints, name string) (ready, notReady []string) {
	if eps == nil {
		return nil, nil
	}
	for _, ss := range eps.Subsets {
		for _, p := range ss.Ports {
			if p.Name != name {
				continue
			}
			port := strconv.Itoa(int(p.Port))
			for _, a := range ss.Addresses {
				ready = append(ready, endpointText(a, port))
			}
			for _, a := range ss.NotReadyAddresses {
				notReady = append(notReady, endpointText(a, port))
			}
		}
	}
	return ready, notReady
}

func endpointText(a corev1.EndpointAddress, port string) string {
	s := a.IP + ":" + port
	if a.TargetRef != nil && a.TargetRef.Name != "" {
		s += " (" + a.TargetRef.Name + ")"
	}
	return s
}

// orUnset shows an empty port name as kubectl does.
func orUnset(s string) string { return orDefault(s, "<unset>") }
