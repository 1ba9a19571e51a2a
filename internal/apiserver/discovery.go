package apiserver

import (
	"net/http"
	"strings"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"

	v1 "vigil.dev/vigil/api/v1"
	"vigil.dev/vigil/internal/resource"
)

// resourceless names no resource in errors about non-resource paths.
var resourceless = schema.GroupResource{}

// discoveryVerbs are the verbs every served resource supports.
var discoveryVerbs = metav1.Verbs{"create", "delete", "get", "list", "patch", "update", "watch"}

// statusVerbs are the verbs of a /status subresource.
var statusVerbs = metav1.Verbs{"get", "patch", "update"}

// categories puts the kinds a user means by `kubectl get all` in "all", as
// KubeVirt's and Kubernetes' own definitions do.
var categories = map[*resource.Info][]string{
	resource.VirtualMachines:         {"all"},
	resource.VirtualMachineInstances: {"all"},
	resource.Services:                {"all"},
}

// subresourceGroupVersion is KubeVirt's subresources API.
var subresourceGroupVersion = schema.GroupVersion{Group: v1.SubresourceGroupName, Version: "v1"}

// kubevirtSubresource is one subresource of subresources.kubevirt.io.
type kubevirtSubresource struct {
	parent *resource.Info
	name   string
	verbs  metav1.Verbs
}

// kubevirtSubresources are the subresources this server answers under
// /apis/subresources.kubevirt.io/v1 (subresources.go, nodeproxy.go,
// pause.go), with
// the verbs KubeVirt lists for them: PUT is "update", POST "create".
var kubevirtSubresources = []kubevirtSubresource{
	{resource.VirtualMachines, "start", metav1.Verbs{"update"}},
	{resource.VirtualMachines, "stop", metav1.Verbs{"update"}},
	{resource.VirtualMachines, "restart", metav1.Verbs{"update"}},
	{resource.VirtualMachineInstances, "console", metav1.Verbs{"get"}},
	{resource.VirtualMachineInstances, "log", metav1.Verbs{"get"}},
	{resource.VirtualMachineInstances, "guestexec", metav1.Verbs{"create"}},
	{resource.VirtualMachineInstances, "pause", metav1.Verbs{"update"}},
	{resource.VirtualMachineInstances, "unpause", metav1.Verbs{"update"}},
}

// serveDiscovery answers Kubernetes' discovery: /api and /apis in the
// aggregated form (APIGroupDiscoveryList) when the Accept header asks for
// it, else the legacy form, and the legacy /api/v1, /apis/GROUP and
// /apis/GROUP/VERSION. It reports whether the path was one of these.
func (s *Server) serveDiscovery(w http.ResponseWriter, r *http.Request) bool {
	p := strings.TrimSuffix(r.URL.Path, "/")
	var reply any
	switch p {
	case "/api", "/apis":
		if r.Method == http.MethodGet {
			if version, ok := aggregatedVersion(r); ok {
				s.writeAggregated(w, r, p == "/api", version)
				return true
			}
		}
		reply = legacyRoot(p == "/api")
	default:
		reply = groupOrVersion(p)
	}
	if reply == nil {
		return false
	}
	if r.Method != http.MethodGet {
		s.writeError(w, r, apierrors.NewMethodNotSupported(resourceless, r.Method))
		return true
	}
	s.writeJSON(w, http.StatusOK, reply)
	return true
}

// legacyRoot is /api's APIVersions or /apis' APIGroupList.
func legacyRoot(core bool) any {
	if core {
		return &metav1.APIVersions{TypeMeta: metav1.TypeMeta{Kind: "APIVersions"}, Versions: []string{"v1"}}
	}
	return &metav1.APIGroupList{TypeMeta: metav1.TypeMeta{Kind: "APIGroupList", APIVersion: "v1"}, Groups: groups()}
}

// groupVersions are the named group versions served, in the order
// discovery lists them: resource.All's groups, then KubeVirt's subresources.
func groupVersions() []schema.GroupVersion {
	var out []schema.GroupVersion
	seen := map[schema.GroupVersion]bool{}
	for _, res := range resource.All {
		gv := schema.GroupVersion{Group: res.Group, Version: res.Version}
		if res.Group == "" || seen[gv] {
			continue
		}
		seen[gv] = true
		out = append(out, gv)
	}
	return append(out, subresourceGroupVersion)
}

// groups lists the named API groups (the core group is /api's).
func groups() []metav1.APIGroup {
	var out []metav1.APIGroup
	for _, gv := range groupVersions() {
		d := metav1.GroupVersionForDiscovery{GroupVersion: gv.String(), Version: gv.Version}
		out = append(out, metav1.APIGroup{
			TypeMeta: metav1.TypeMeta{Kind: "APIGroup", APIVersion: "v1"},
			Name:     gv.Group, Versions: []metav1.GroupVersionForDiscovery{d}, PreferredVersion: d,
		})
	}
	return out
}

// groupOrVersion answers /apis/GROUP and the resource list of a group
// version; nil when the path is neither.
func groupOrVersion(p string) any {
	for _, g := range groups() {
		if p == "/apis/"+g.Name {
			return &g
		}
	}
	if p == "/api/v1" {
		return resourceList(schema.GroupVersion{Version: "v1"})
	}
	for _, gv := range groupVersions() {
		if p == "/apis/"+gv.String() {
			return resourceList(gv)
		}
	}
	return nil
}

// resourceList is the APIResourceList of one group version.
func resourceList(gv schema.GroupVersion) *metav1.APIResourceList {
	list := &metav1.APIResourceList{
		TypeMeta:     metav1.TypeMeta{Kind: "APIResourceList", APIVersion: "v1"},
		GroupVersion: gv.String(),
		APIResources: []metav1.APIResource{},
	}
	if gv == subresourceGroupVersion {
		for _, sub := range kubevirtSubresources {
			list.APIResources = append(list.APIResources, metav1.APIResource{
				Name: sub.parent.Resource + "/" + sub.name, Namespaced: sub.parent.Namespaced, Verbs: sub.verbs,
			})
		}
		return list
	}
	for _, res := range resource.All {
		if res.Group != gv.Group || res.Version != gv.Version {
			continue
		}
		list.APIResources = append(list.APIResources, metav1.APIResource{
			Name: res.Resource, SingularName: res.Singular, Namespaced: res.Namespaced,
			Kind: res.Kind, Verbs: discoveryVerbs, ShortNames: res.ShortNames, Categories: categories[res],
		})
		if res.HasStatus {
			list.APIResources = append(list.APIResources, metav1.APIResource{
				Name: res.Resource + "/status", Namespaced: res.Namespaced, Kind: res.Kind, Verbs: statusVerbs,
			})
		}
	}
	return list
}
