package apiserver

import (
	"net/http"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"vigil.dev/vigil/internal/resource"
)

// resourceless names no resource in errors about non-resource paths.
var resourceless = schema.GroupResource{}

// discoveryVerbs are the verbs every served resource supports.
var discoveryVerbs = metav1.Verbs{"create", "delete", "get", "list", "patch", "update", "watch"}

// serveDiscovery answers Kubernetes' legacy (unaggregated) discovery:
// /api, /api/v1, /apis, /apis/GROUP and /apis/GROUP/VERSION. It reports
// whether the path was one of these.
func (s *Server) serveDiscovery(w http.ResponseWriter, r *http.Request) bool {
	var reply any
	switch p := r.URL.Path; p {
	case "/api", "/api/":
		reply = &metav1.APIVersions{
			TypeMeta: metav1.TypeMeta{Kind: "APIVersions"},
			Versions: []string{"v1"},
		}
	case "/apis", "/apis/":
		reply = &metav1.APIGroupList{
			TypeMeta: metav1.TypeMeta{Kind: "APIGroupList", APIVersion: "v1"},
			Groups:   groups(),
		}
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

// groups lists the named API groups (the core group is /api's).
func groups() []metav1.APIGroup {
	seen := map[string]bool{}
	var out []metav1.APIGroup
	for _, res := range resource.All {
		if res.Group == "" || seen[res.Group] {
			continue
		}
		seen[res.Group] = true
		gv := metav1.GroupVersionForDiscovery{GroupVersion: res.APIVersion(), Version: res.Version}
		out = append(out, metav1.APIGroup{
			TypeMeta: metav1.TypeMeta{Kind: "APIGroup", APIVersion: "v1"},
			Name:     res.Group, Versions: []metav1.GroupVersionForDiscovery{gv}, PreferredVersion: gv,
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
	for _, gv := range append([]string{"v1"}, groupVersions()...) {
		prefix := "/apis/"
		if gv == "v1" {
			prefix = "/api/"
		}
		if p == prefix+gv {
			return resourceList(gv)
		}
	}
	return nil
}

func groupVersions() []string {
	var out []string
	for _, g := range groups() {
		out = append(out, g.PreferredVersion.GroupVersion)
	}
	return out
}

// resourceList is the APIResourceList of one group version.
func resourceList(groupVersion string) *metav1.APIResourceList {
	list := &metav1.APIResourceList{
		TypeMeta:     metav1.TypeMeta{Kind: "APIResourceList", APIVersion: "v1"},
		GroupVersion: groupVersion,
	}
	for _, res := range resource.All {
		if res.APIVersion() != groupVersion {
			continue
		}
		list.APIResources = append(list.APIResources, metav1.APIResource{
			Name: res.Resource, SingularName: res.Singular, Namespaced: res.Namespaced,
			Kind: res.Kind, Verbs: discoveryVerbs, ShortNames: res.ShortNames,
		})
		if res.HasStatus {
			list.APIResources = append(list.APIResources, metav1.APIResource{
				Name: res.Resource + "/status", Namespaced: res.Namespaced,
				Kind: res.Kind, Verbs: metav1.Verbs{"get", "patch", "update"},
			})
		}
	}
	return list
}
