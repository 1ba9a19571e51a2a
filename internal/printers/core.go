package printers

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/runtime"
)

var serviceColumns = []Column{
	nameColumn,
	{Name: "Type", Type: "string", Description: "How the service is exposed."},
	{Name: "Cluster-IP", Type: "string", Description: "The service's virtual IP address."},
	{Name: "External-IP", Type: "string", Description: "External addresses of the service."},
	{Name: "Port(s)", Type: "string", Description: "The service's ports."},
	ageColumn,
	{Name: "Selector", Type: "string", Wide: true, Description: "The labels of the instances behind the service."},
}

func serviceCells(obj runtime.Object, now time.Time) ([]string, error) {
	svc, ok := obj.(*corev1.Service)
	if !ok {
		return nil, fmt.Errorf("want a Service, got %T", obj)
	}
	typ := svc.Spec.Type
	if typ == "" {
		typ = corev1.ServiceTypeClusterIP
	}
	return []string{svc.Name, string(typ), OrNone(svc.Spec.ClusterIP), serviceExternalIP(svc),
		servicePorts(svc.Spec.Ports), Age(svc.CreationTimestamp, now), OrNone(LabelString(svc.Spec.Selector))}, nil
}

func serviceExternalIP(svc *corev1.Service) string {
	ips := append([]string(nil), svc.Spec.ExternalIPs...)
	switch svc.Spec.Type {
	case corev1.ServiceTypeExternalName:
		return OrNone(svc.Spec.ExternalName)
	case corev1.ServiceTypeLoadBalancer:
		for _, in := range svc.Status.LoadBalancer.Ingress {
			if in.IP != "" {
				ips = append(ips, in.IP)
			} else if in.Hostname != "" {
				ips = append(ips, in.Hostname)
			}
		}
		if len(ips) == 0 {
			return "<pending>"
		}
	}
	return OrNone(strings.Join(ips, ","))
}

func servicePorts(ports []corev1.ServicePort) string {
	parts := make([]string, 0, len(ports))
	for _, p := range ports {
		proto := p.Protocol
		if proto == "" {
			proto = corev1.ProtocolTCP
		}
		if p.NodePort != 0 {
			parts = append(parts, fmt.Sprintf("%d:%d/%s", p.Port, p.NodePort, proto))
		} else {
			parts = append(parts, fmt.Sprintf("%d/%s", p.Port, proto))
		}
	}
	return OrNone(strings.Join(parts, ","))
}

var endpointsColumns = []Column{
	nameColumn,
	{Name: "Endpoints", Type: "string", Description: "The ready addresses and ports (at most three shown)."},
	ageColumn,
}

func endpointsCells(obj runtime.Object, now time.Time) ([]string, error) {
	ep, ok := obj.(*corev1.Endpoints)
	if !ok {
		return nil, fmt.Errorf("want Endpoints, got %T", obj)
	}
	return []string{ep.Name, formatEndpoints(ep, 3), Age(ep.CreationTimestamp, now)}, nil
}

// formatEndpoints lists ready addresses as ip:port, at most max of them,
// then "+ N more...", as kubectl does.
func formatEndpoints(ep *corev1.Endpoints, max int) string {
	var all []string
	for _, ss := range ep.Subsets {
		for _, a := range ss.Addresses {
			if len(ss.Ports) == 0 {
				all = append(all, a.IP)
				continue
			}
			for _, p := range ss.Ports {
				all = append(all, a.IP+":"+strconv.Itoa(int(p.Port)))
			}
		}
	}
	if len(all) <= max {
		return OrNone(strings.Join(all, ","))
	}
	return fmt.Sprintf("%s + %d more...", strings.Join(all[:max], ","), len(all)-max)
}
