package apiserver

import (
	"context"
	"fmt"
	"net/netip"
	"sync"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/validation/field"

	"vigil.dev/vigil/internal/resource"
	"vigil.dev/vigil/internal/store"
)

// DefaultServiceSubnet is the range of Service cluster IPs when
// Config.ServiceSubnet is unset: Kubernetes' usual service range, clear of
// the VM network's 10.89.0.0/16.
var DefaultServiceSubnet = netip.MustParsePrefix("10.96.0.0/16")

// ValidateServiceSubnet checks a service subnet: IPv4, with room for at
// least two addresses besides the network and broadcast addresses.
func ValidateServiceSubnet(p netip.Prefix) error {
	switch {
	case !p.IsValid() || !p.Addr().Is4():
		return fmt.Errorf("service subnet %s: must be an IPv4 prefix", p)
	case p.Bits() > 30:
		return fmt.Errorf("service subnet %s: must be /30 or larger", p)
	}
	return nil
}

var serviceKind = schema.GroupKind{Kind: "Service"}

// serviceIPs is the cluster IP allocator. It keeps no copy of what is
// allocated: every create reads the Services from the store under the
// mutex, so deletions need no hook, a restart needs no seeding, and the
// store stays the one truth. Only the addresses of creates in flight are
// held here, from the choice until the object is stored or refused. The
// list costs one store read per Service create, which is cheap at one
// host's scale. It assumes one API server per store.
type serviceIPs struct {
	mu      sync.Mutex
	pending map[netip.Addr]bool
}

// serviceSubnet is the configured range (already validated) or the default.
func (s *Server) serviceSubnet() netip.Prefix {
	if s.cfg.ServiceSubnet.IsValid() {
		return s.cfg.ServiceSubnet.Masked()
	}
	return DefaultServiceSubnet
}

// assignClusterIP runs on a Service create after the registry's defaults
// and validation: it refuses what the dataplane cannot serve, then gives
// the Service its cluster IP (a free one, or the one asked for if it is in
// the range and free; none for headless). release must be called once the
// create is stored or has failed. Other kinds pass through.
func (s *Server) assignClusterIP(ctx context.Context, r *resource.Info, obj runtime.Object, dryRun bool) (release func(), err error) {
	release = func() {}
	svc, ok := obj.(*corev1.Service)
	if r != resource.Services || !ok {
		return release, nil
	}
	subnet := s.serviceSubnet()
	errs := validateServiceSupport(&svc.Spec, subnet)
	wanted, werrs := wantedClusterIP(&svc.Spec)
	if errs = append(errs, werrs...); len(errs) > 0 {
		return release, apierrors.NewInvalid(serviceKind, svc.Name, errs)
	}
	setIPFamily(&svc.Spec)
	if wanted == corev1.ClusterIPNone {
		svc.Spec.ClusterIP, svc.Spec.ClusterIPs = corev1.ClusterIPNone, []string{corev1.ClusterIPNone}
		return release, nil
	}
	s.serviceIPs.mu.Lock()
	defer s.serviceIPs.mu.Unlock()
	used, err := s.usedClusterIPs(ctx)
	if err != nil {
		return release, err
	}
	for ip := range s.serviceIPs.pending {
		used[ip] = "a service being created"
	}
	ip, ferr := pickClusterIP(subnet, used, wanted)
	switch {
	case ferr != nil:
		return release, apierrors.NewInvalid(serviceKind, svc.Name, field.ErrorList{ferr})
	case !ip.IsValid():
		return release, apierrors.NewInternalError(fmt.Errorf(
			"allocate a cluster IP for service %s/%s: the service subnet %s is full", svc.Namespace, svc.Name, subnet))
	}
	svc.Spec.ClusterIP, svc.Spec.ClusterIPs = ip.String(), []string{ip.String()}
	if dryRun {
		return release, nil
	}
	if s.serviceIPs.pending == nil {
		s.serviceIPs.pending = map[netip.Addr]bool{}
	}
	s.serviceIPs.pending[ip] = true
	return func() {
		s.serviceIPs.mu.Lock()
		defer s.serviceIPs.mu.Unlock()
		delete(s.serviceIPs.pending, ip)
	}, nil
}

// usedClusterIPs reads the cluster IPs of every stored Service, with the
// Service ("namespace/name") holding each.
func (s *Server) usedClusterIPs(ctx context.Context) (map[netip.Addr]string, error) {
	var list corev1.ServiceList
	if err := s.cfg.Store.List(ctx, resource.Services, "", store.ListOptions{}, &list); err != nil {
		return nil, err
	}
	used := make(map[netip.Addr]string, len(list.Items))
	for i := range list.Items {
		if ip, err := netip.ParseAddr(list.Items[i].Spec.ClusterIP); err == nil {
			used[ip] = list.Items[i].Namespace + "/" + list.Items[i].Name
		}
	}
	return used, nil
}

// wantedClusterIP is the address a new Service asks for: "" (any),
// "None" (headless) or an IPv4 address. clusterIPs, when set, must agree
// with clusterIP and hold one address.
func wantedClusterIP(spec *corev1.ServiceSpec) (string, field.ErrorList) {
	path := field.NewPath("spec")
	want := spec.ClusterIP
	switch {
	case len(spec.ClusterIPs) > 1:
		return "", field.ErrorList{field.Invalid(path.Child("clusterIPs"), spec.ClusterIPs, "only one (IPv4) cluster IP is supported")}
	case len(spec.ClusterIPs) == 1 && want == "":
		want = spec.ClusterIPs[0]
	case len(spec.ClusterIPs) == 1 && spec.ClusterIPs[0] != want:
		return "", field.ErrorList{field.Invalid(path.Child("clusterIPs").Index(0), spec.ClusterIPs[0], "must match spec.clusterIP")}
	}
	if want == "" || want == corev1.ClusterIPNone {
		return want, nil
	}
	if ip, err := netip.ParseAddr(want); err != nil || !ip.Is4() {
		return "", field.ErrorList{field.Invalid(path.Child("clusterIP"), want, `must be an IPv4 address, "None" or empty`)}
	}
	return want, nil
}

// pickClusterIP chooses the wanted address if it is in the subnet and
// free, or the lowest free address of the subnet (network and broadcast
// addresses excluded). A full subnet gives the zero Addr.
func pickClusterIP(subnet netip.Prefix, used map[netip.Addr]string, wanted string) (netip.Addr, *field.Error) {
	path := field.NewPath("spec", "clusterIP")
	if wanted != "" {
		ip := netip.MustParseAddr(wanted)
		switch {
		case !usable(subnet, ip):
			return netip.Addr{}, field.Invalid(path, wanted, fmt.Sprintf("is not a usable address of the service subnet %s", subnet))
		case used[ip] != "":
			return netip.Addr{}, field.Invalid(path, wanted, fmt.Sprintf("is already allocated to %s", used[ip]))
		}
		return ip, nil
	}
	for ip := subnet.Addr().Next(); usable(subnet, ip); ip = ip.Next() {
		if used[ip] == "" {
			return ip, nil
		}
	}
	return netip.Addr{}, nil
}

// usable: inside the subnet, neither its network nor its broadcast address.
func usable(subnet netip.Prefix, ip netip.Addr) bool {
	return subnet.Contains(ip) && ip != subnet.Addr() && subnet.Contains(ip.Next())
}

// setIPFamily records the one family vigil serves, as Kubernetes fills
// ipFamilies and ipFamilyPolicy on create.
func setIPFamily(spec *corev1.ServiceSpec) {
	spec.IPFamilies = []corev1.IPFamily{corev1.IPv4Protocol}
	if spec.IPFamilyPolicy == nil {
		single := corev1.IPFamilyPolicySingleStack
		spec.IPFamilyPolicy = &single
	}
}
