package cli

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
)

func serviceHeaders(wide bool) []string {
	h := []string{"NAME", "TYPE", "CLUSTER-IP", "EXTERNAL-IP", "PORT(S)", "AGE"}
	if wide {
		h = append(h, "SELECTOR")
	}
	return h
}

func serviceRow(obj runtime.Object, now time.Time, wide bool) ([]string, error) {
	svc, ok := obj.(*corev1.Service)
	if !ok {
		return nil, fmt.Errorf("want a Service, got %T", obj)
	}
	typ := svc.Spec.Type
	if typ == "" {
		typ = corev1.ServiceTypeClusterIP
	}
	row := []string{svc.Name, string(typ), orNone(svc.Spec.ClusterIP), serviceExternalIP(svc), servicePorts(svc.Spec.Ports), age(svc.CreationTimestamp, now)}
	if wide {
		row = append(row, orNone(labelString(svc.Spec.Selector)))
	}
	return row, nil
}

func serviceExternalIP(svc *corev1.Service) string {
	ips := append([]string(nil), svc.Spec.ExternalIPs...)
	switch svc.Spec.Type {
	case corev1.ServiceTypeExternalName:
		return orNone(svc.Spec.ExternalName)
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
	return orNone(strings.Join(ips, ","))
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
	return orNone(strings.Join(parts, ","))
}

func endpointsHeaders(bool) []string { return []string{"NAME", "ENDPOINTS", "AGE"} }

func endpointsRow(obj runtime.Object, now time.Time, _ bool) ([]string, error) {
	ep, ok := obj.(*corev1.Endpoints)
	if !ok {
		return nil, fmt.Errorf("want Endpoints, got %T", obj)
	}
	return []string{ep.Name, formatEndpoints(ep, 3), age(ep.CreationTimestamp, now)}, nil
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
		return orNone(strings.Join(all, ","))
	}
	return fmt.Sprintf("%s + %d more...", strings.Join(all[:max], ","), len(all)-max)
}

func eventHeaders(wide bool) []string {
	h := []string{"LAST SEEN", "TYPE", "REASON", "OBJECT", "MESSAGE"}
	if wide {
		h = append(h, "SOURCE", "FIRST SEEN", "COUNT", "NAME")
	}
	return h
}

func eventRow(obj runtime.Object, now time.Time, wide bool) ([]string, error) {
	ev, ok := obj.(*corev1.Event)
	if !ok {
		return nil, fmt.Errorf("want an Event, got %T", obj)
	}
	object := strings.ToLower(ev.InvolvedObject.Kind) + "/" + ev.InvolvedObject.Name
	row := []string{eventInterval(ev, now), ev.Type, ev.Reason, object, strings.TrimSpace(ev.Message)}
	if wide {
		row = append(row, orNone(eventSource(ev)), age(eventFirstSeen(ev), now), strconv.Itoa(int(max(ev.Count, 1))), ev.Name)
	}
	return row, nil
}

// eventInterval is "5s", or "5s (x3 over 2m)" for a repeated event.
func eventInterval(ev *corev1.Event, now time.Time) string {
	last := age(eventLastSeen(ev), now)
	if ev.Count > 1 {
		return fmt.Sprintf("%s (x%d over %s)", last, ev.Count, age(eventFirstSeen(ev), now))
	}
	return last
}

// eventLastSeen: lastTimestamp, else eventTime, else firstTimestamp, else creation.
func eventLastSeen(ev *corev1.Event) metav1.Time {
	switch {
	case !ev.LastTimestamp.IsZero():
		return ev.LastTimestamp
	case !ev.EventTime.IsZero():
		return metav1.NewTime(ev.EventTime.Time)
	case !ev.FirstTimestamp.IsZero():
		return ev.FirstTimestamp
	}
	return ev.CreationTimestamp
}

func eventFirstSeen(ev *corev1.Event) metav1.Time {
	switch {
	case !ev.FirstTimestamp.IsZero():
		return ev.FirstTimestamp
	case !ev.EventTime.IsZero():
		return metav1.NewTime(ev.EventTime.Time)
	}
	return eventLastSeen(ev)
}

func eventSource(ev *corev1.Event) string {
	src := ev.Source.Component
	if src == "" {
		src = ev.ReportingController
	}
	if ev.Source.Host != "" {
		src += ", " + ev.Source.Host
	}
	return src
}

// sortEventsByLastSeen orders events oldest first, as `kubectl events` does.
func sortEventsByLastSeen(evs []runtime.Object) {
	sort.SliceStable(evs, func(i, j int) bool {
		a, _ := evs[i].(*corev1.Event)
		b, _ := evs[j].(*corev1.Event)
		if a == nil || b == nil {
			return false
		}
		return eventLastSeen(a).Time.Before(eventLastSeen(b).Time)
	})
}

// labelString renders a map as "k=v,k2=v2", keys sorted.
func labelString(m map[string]string) string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = k + "=" + m[k]
	}
	return strings.Join(parts, ",")
}
