package endpoints

import (
	"net/netip"
	"sort"
	"strconv"
	"strings"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

var typeMeta = metav1.TypeMeta{APIVersion: "v1", Kind: "Endpoints"}

// member is one selected VMI: its address, the ports it serves and whether
// it is ready.
type member struct {
	address corev1.EndpointAddress
	ports   []corev1.EndpointPort
	ready   bool
}

// repack groups members by the ports they serve into subsets, as
// Kubernetes' Endpoints do: VMIs whose named targetPorts resolve to the
// same numbers share a subset. Subsets are ordered by their ports,
// addresses within a subset by IP then name, so equal inputs give equal
// objects whatever the order of the VMIs.
func repack(members []member) []corev1.EndpointSubset {
	byPorts := map[string]*corev1.EndpointSubset{}
	var keys []string
	for _, m := range members {
		k := portsKey(m.ports)
		ss, ok := byPorts[k]
		if !ok {
			ss = &corev1.EndpointSubset{Ports: m.ports}
			byPorts[k] = ss
			keys = append(keys, k)
		}
		if m.ready {
			ss.Addresses = append(ss.Addresses, m.address)
		} else {
			ss.NotReadyAddresses = append(ss.NotReadyAddresses, m.address)
		}
	}
	sort.Strings(keys)
	out := make([]corev1.EndpointSubset, 0, len(keys))
	for _, k := range keys {
		ss := byPorts[k]
		sortAddresses(ss.Addresses)
		sortAddresses(ss.NotReadyAddresses)
		out = append(out, *ss)
	}
	if len(out) == 0 {
		return nil
	}
	return out
}

// portsKey identifies a port list; ports keep the Service's order.
func portsKey(ports []corev1.EndpointPort) string {
	var b strings.Builder
	for _, p := range ports {
		b.WriteString(p.Name)
		b.WriteByte('/')
		b.WriteString(string(p.Protocol))
		b.WriteByte('/')
		b.WriteString(strconv.Itoa(int(p.Port)))
		b.WriteByte(',')
	}
	return b.String()
}

func sortAddresses(as []corev1.EndpointAddress) {
	sort.Slice(as, func(i, j int) bool {
		a, _ := netip.ParseAddr(as[i].IP)
		b, _ := netip.ParseAddr(as[j].IP)
		if c := a.Compare(b); c != 0 {
			return c < 0
		}
		return refName(as[i]) < refName(as[j])
	})
}

func refName(a corev1.EndpointAddress) string {
	if a.TargetRef == nil {
		return ""
	}
	return a.TargetRef.Name
}
