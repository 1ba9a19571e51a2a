package apiserver

import (
	"fmt"
	"net/http"
	"net/netip"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	corev1 "k8s.io/api/core/v1"
)

var subnetCounter atomic.Int64

// serviceEnv is a server whose service subnet is a /29 no other test uses
// (the store is shared): six usable addresses, .1 to .6.
func serviceEnv(t *testing.T) (*env, netip.Prefix) {
	t.Helper()
	n := subnetCounter.Add(1)
	subnet := netip.MustParsePrefix(fmt.Sprintf("10.%d.%d.0/29", 200+n/32, (n%32)*8))
	return newEnv(t, func(c *Config) { c.ServiceSubnet = subnet }), subnet
}

func nth(subnet netip.Prefix, n int) string {
	ip := subnet.Addr()
	for range n {
		ip = ip.Next()
	}
	return ip.String()
}

func serviceJSON(name string, spec map[string]any) map[string]any {
	if spec == nil {
		spec = map[string]any{}
	}
	if _, ok := spec["ports"]; !ok {
		spec["ports"] = []any{map[string]any{"port": 80}}
	}
	return map[string]any{"apiVersion": "v1", "kind": "Service", "metadata": map[string]any{"name": name}, "spec": spec}
}

func (e *env) createService(name string, spec map[string]any) reply {
	e.t.Helper()
	return e.do(http.MethodPost, e.corePath("services"), "application/json", serviceJSON(name, spec))
}

func TestServiceGetsTheLowestFreeClusterIP(t *testing.T) {
	e, subnet := serviceEnv(t)
	var a, b corev1.Service
	e.createService("a", nil).must(t, http.StatusCreated).into(t, &a)
	e.createService("b", nil).must(t, http.StatusCreated).into(t, &b)
	if a.Spec.ClusterIP != nth(subnet, 1) || b.Spec.ClusterIP != nth(subnet, 2) {
		t.Fatalf("cluster IPs %s, %s; want %s, %s", a.Spec.ClusterIP, b.Spec.ClusterIP, nth(subnet, 1), nth(subnet, 2))
	}
	if len(a.Spec.ClusterIPs) != 1 || a.Spec.ClusterIPs[0] != a.Spec.ClusterIP ||
		len(a.Spec.IPFamilies) != 1 || a.Spec.IPFamilies[0] != corev1.IPv4Protocol ||
		a.Spec.IPFamilyPolicy == nil || *a.Spec.IPFamilyPolicy != corev1.IPFamilyPolicySingleStack {
		t.Fatalf("clusterIPs %v, ipFamilies %v, policy %v", a.Spec.ClusterIPs, a.Spec.IPFamilies, a.Spec.IPFamilyPolicy)
	}
	// A dry run shows an address and keeps none.
	var dry corev1.Service
	e.do(http.MethodPost, e.corePath("services")+"?dryRun=All", "application/json", serviceJSON("dry", nil)).
		must(t, http.StatusCreated).into(t, &dry)
	if dry.Spec.ClusterIP != nth(subnet, 3) {
		t.Fatalf("dry run got %s, want %s", dry.Spec.ClusterIP, nth(subnet, 3))
	}
	// A deleted Service's address is free again.
	e.do(http.MethodDelete, e.corePath("services", "a"), "", nil).must(t, http.StatusOK)
	var c corev1.Service
	e.createService("c", nil).must(t, http.StatusCreated).into(t, &c)
	if c.Spec.ClusterIP != nth(subnet, 1) {
		t.Fatalf("after deleting a, c got %s, want %s", c.Spec.ClusterIP, nth(subnet, 1))
	}
}

func TestServiceClusterIPChosenByTheUser(t *testing.T) {
	e, subnet := serviceEnv(t)
	var a corev1.Service
	e.createService("a", map[string]any{"clusterIP": nth(subnet, 5)}).must(t, http.StatusCreated).into(t, &a)
	if a.Spec.ClusterIP != nth(subnet, 5) {
		t.Fatalf("got %s, want the requested %s", a.Spec.ClusterIP, nth(subnet, 5))
	}
	for _, tc := range []struct {
		name, ip, want string
	}{
		{"taken", nth(subnet, 5), "spec.clusterIP: Invalid value: \"" + nth(subnet, 5) + "\": is already allocated to " + e.ns + "/a"},
		{"outside", "10.1.2.3", "is not a usable address of the service subnet " + subnet.String()},
		{"broadcast", nth(subnet, 7), "is not a usable address"},
		{"garbage", "ten", `must be an IPv4 address, "None" or empty`},
	} {
		r := e.createService("x", map[string]any{"clusterIP": tc.ip}).must(t, http.StatusUnprocessableEntity)
		if st := r.status(t); !strings.Contains(st.Message, tc.want) {
			t.Errorf("%s: message %q, want it to contain %q", tc.name, st.Message, tc.want)
		}
	}
	var h corev1.Service
	e.createService("headless", map[string]any{"clusterIP": "None"}).must(t, http.StatusCreated).into(t, &h)
	if h.Spec.ClusterIP != "None" || len(h.Spec.ClusterIPs) != 1 || h.Spec.ClusterIPs[0] != "None" {
		t.Fatalf("headless: clusterIP %q clusterIPs %v", h.Spec.ClusterIP, h.Spec.ClusterIPs)
	}
}

func TestServiceFeaturesTheDataplaneLacksAreRefused(t *testing.T) {
	e, subnet := serviceEnv(t)
	for _, tc := range []struct {
		name string
		spec map[string]any
		want string
	}{
		{"nodeport", map[string]any{"type": "NodePort"}, `spec.type: Invalid value: "NodePort": not supported; use externalIPs`},
		{"lb", map[string]any{"type": "LoadBalancer"}, `spec.type: Invalid value: "LoadBalancer": not supported; use externalIPs`},
		{"sctp", map[string]any{"ports": []any{map[string]any{"port": 80, "protocol": "SCTP"}}}, `spec.ports[0].protocol: Invalid value: "SCTP"`},
		{"affinity", map[string]any{"sessionAffinity": "ClientIP"}, `spec.sessionAffinity: Invalid value: "ClientIP": not supported`},
		{"ipv6", map[string]any{"ipFamilies": []any{"IPv6"}}, `spec.ipFamilies[0]: Invalid value: "IPv6": only IPv4`},
		{"two ips", map[string]any{"clusterIPs": []any{nth(subnet, 1), nth(subnet, 2)}}, `spec.clusterIPs: Invalid value`},
		{"external loopback", map[string]any{"externalIPs": []any{"127.0.0.1"}}, `spec.externalIPs[0]: Invalid value: "127.0.0.1": must be a unicast address`},
		{"external in subnet", map[string]any{"externalIPs": []any{nth(subnet, 1)}}, `must not be in the service subnet`},
		{"external twice", map[string]any{"externalIPs": []any{"192.0.2.1", "192.0.2.1"}}, `spec.externalIPs[1]: Duplicate value`},
	} {
		r := e.createService("x", tc.spec).must(t, http.StatusUnprocessableEntity)
		if st := r.status(t); !strings.Contains(st.Message, tc.want) {
			t.Errorf("%s: message %q, want it to contain %q", tc.name, st.Message, tc.want)
		}
	}
	// Nothing was allocated by the refusals.
	var a corev1.Service
	e.createService("a", map[string]any{"externalIPs": []any{"192.0.2.1"}}).must(t, http.StatusCreated).into(t, &a)
	if a.Spec.ClusterIP != nth(subnet, 1) {
		t.Fatalf("got %s, want %s", a.Spec.ClusterIP, nth(subnet, 1))
	}
}

func TestServiceClusterIPIsImmutable(t *testing.T) {
	e, subnet := serviceEnv(t)
	var a corev1.Service
	e.createService("a", nil).must(t, http.StatusCreated).into(t, &a)
	// A PUT of a manifest without the allocated fields keeps them.
	put := serviceJSON("a", map[string]any{"selector": map[string]any{"app": "x"}})
	var got corev1.Service
	e.do(http.MethodPut, e.corePath("services", "a"), "application/json", put).must(t, http.StatusOK).into(t, &got)
	if got.Spec.ClusterIP != a.Spec.ClusterIP || len(got.Spec.ClusterIPs) != 1 || got.Spec.Selector["app"] != "x" {
		t.Fatalf("after a PUT without clusterIP: %q %v selector %v", got.Spec.ClusterIP, got.Spec.ClusterIPs, got.Spec.Selector)
	}
	for _, tc := range []struct {
		name string
		spec map[string]any
		want string
	}{
		{"change", map[string]any{"clusterIP": nth(subnet, 4)}, `spec.clusterIP: Invalid value: "` + nth(subnet, 4) + `": field is immutable`},
		{"to headless", map[string]any{"clusterIP": "None"}, `field is immutable`},
		{"to nodeport", map[string]any{"type": "NodePort"}, `not supported; use externalIPs`},
	} {
		r := e.do(http.MethodPut, e.corePath("services", "a"), "application/json", serviceJSON("a", tc.spec)).
			must(t, http.StatusUnprocessableEntity)
		if st := r.status(t); !strings.Contains(st.Message, tc.want) {
			t.Errorf("%s: message %q, want it to contain %q", tc.name, st.Message, tc.want)
		}
	}
	patch := `{"spec":{"clusterIP":"` + nth(subnet, 4) + `"}}`
	e.do(http.MethodPatch, e.corePath("services", "a"), "application/merge-patch+json", patch).must(t, http.StatusUnprocessableEntity)
}

func TestServiceSubnetFullAndConcurrentCreates(t *testing.T) {
	e, subnet := serviceEnv(t)
	var wg sync.WaitGroup
	ips := make([]string, 8)
	codes := make([]int, 8)
	for i := range 8 {
		wg.Go(func() {
			r := e.createService(fmt.Sprintf("s%d", i), nil)
			codes[i] = r.code
			if r.code == http.StatusCreated {
				var s corev1.Service
				r.into(t, &s)
				ips[i] = s.Spec.ClusterIP
			}
		})
	}
	wg.Wait()
	seen := map[string]bool{}
	created, full := 0, 0
	for i := range 8 {
		switch codes[i] {
		case http.StatusCreated:
			created++
			if seen[ips[i]] || !subnet.Contains(netip.MustParseAddr(ips[i])) {
				t.Fatalf("address %s given twice or outside %s: %v", ips[i], subnet, ips)
			}
			seen[ips[i]] = true
		case http.StatusInternalServerError:
			full++
		default:
			t.Fatalf("create %d answered %d", i, codes[i])
		}
	}
	if created != 6 || full != 2 {
		t.Fatalf("%d created, %d refused as full; want 6 and 2 (a /29 has six addresses)", created, full)
	}
	r := e.createService("late", nil).must(t, http.StatusInternalServerError)
	if st := r.status(t); !strings.Contains(st.Message, "the service subnet "+subnet.String()+" is full") {
		t.Fatalf("message %q", st.Message)
	}
}

func TestValidateServiceSubnet(t *testing.T) {
	for _, tc := range []struct {
		in string
		ok bool
	}{
		{"10.96.0.0/16", true}, {"10.96.0.0/30", true}, {"10.96.0.0/31", false}, {"fd00::/64", false},
	} {
		if err := ValidateServiceSubnet(netip.MustParsePrefix(tc.in)); (err == nil) != tc.ok {
			t.Errorf("%s: err %v, want ok=%v", tc.in, err, tc.ok)
		}
	}
	if ValidateServiceSubnet(netip.Prefix{}) == nil {
		t.Error("the zero prefix is valid")
	}
}
