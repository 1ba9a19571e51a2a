package apiserver

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"

	apidiscoveryv2 "k8s.io/api/apidiscovery/v2"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"vigil.dev/vigil/internal/resource"
)

// Aggregated discovery is negotiated by the Accept header: kubectl 1.30+
// asks for v2 (and v2beta1 as a fallback), 1.26–1.29 for v2beta1 only.
// Both versions have the same JSON shape; only apiVersion and the content
// type differ.
const (
	discoveryGroup = "apidiscovery.k8s.io"
	discoveryAs    = "APIGroupDiscoveryList"
)

// aggregatedVersion is the aggregated discovery version the client asks
// for first ("v2" or "v2beta1"), if any entry before a plain JSON one
// asks for one: a client that prefers plain JSON gets the legacy form.
func aggregatedVersion(r *http.Request) (string, bool) {
	for _, m := range acceptList(r) {
		for _, v := range []string{"v2", "v2beta1"} {
			if m.is(discoveryAs, discoveryGroup, v) {
				return v, true
			}
		}
		if m.acceptsJSON() {
			return "", false
		}
	}
	return "", false
}

// aggregatedContentType is the exact Content-Type of an aggregated reply.
func aggregatedContentType(version string) string {
	return "application/json;g=" + discoveryGroup + ";v=" + version + ";as=" + discoveryAs
}

// writeAggregated answers /api (core) or /apis with the whole discovery
// document, with an ETag so that a client revalidating its cache gets 304.
func (s *Server) writeAggregated(w http.ResponseWriter, r *http.Request, core bool, version string) {
	list := aggregatedDiscovery(core)
	list.APIVersion = discoveryGroup + "/" + version
	body, err := json.Marshal(list)
	if err != nil {
		s.writeError(w, r, apierrors.NewInternalError(fmt.Errorf("encoding discovery: %w", err)))
		return
	}
	sum := sha256.Sum256(body)
	etag := `"` + hex.EncodeToString(sum[:16]) + `"`
	w.Header().Set("ETag", etag)
	w.Header().Set("Vary", "Accept")
	if r.Header.Get("If-None-Match") == etag {
		w.WriteHeader(http.StatusNotModified)
		return
	}
	w.Header().Set("Content-Type", aggregatedContentType(version))
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(append(body, '\n'))
}

// aggregatedDiscovery is the APIGroupDiscoveryList of the core group
// (core) or of every named group.
func aggregatedDiscovery(core bool) *apidiscoveryv2.APIGroupDiscoveryList {
	list := &apidiscoveryv2.APIGroupDiscoveryList{TypeMeta: metav1.TypeMeta{Kind: discoveryAs}}
	if core {
		list.Items = []apidiscoveryv2.APIGroupDiscovery{groupDiscovery(schema.GroupVersion{Version: "v1"})}
		return list
	}
	for _, gv := range groupVersions() {
		list.Items = append(list.Items, groupDiscovery(gv))
	}
	return list
}

// groupDiscovery describes one group with its single version.
func groupDiscovery(gv schema.GroupVersion) apidiscoveryv2.APIGroupDiscovery {
	return apidiscoveryv2.APIGroupDiscovery{
		ObjectMeta: metav1.ObjectMeta{Name: gv.Group},
		Versions: []apidiscoveryv2.APIVersionDiscovery{{
			Version:   gv.Version,
			Resources: resourcesDiscovery(gv),
			Freshness: apidiscoveryv2.DiscoveryFreshnessCurrent,
		}},
	}
}

// resourcesDiscovery lists the resources of a group version. KubeVirt's
// subresources group has no resources of its own: its entries are parents
// that carry only subresources, as Kubernetes' aggregator converts them.
func resourcesDiscovery(gv schema.GroupVersion) []apidiscoveryv2.APIResourceDiscovery {
	if gv == subresourceGroupVersion {
		return subresourceParents()
	}
	out := []apidiscoveryv2.APIResourceDiscovery{}
	for _, res := range resource.All {
		if res.Group != gv.Group || res.Version != gv.Version {
			continue
		}
		gvk := metav1.GroupVersionKind{Group: res.Group, Version: res.Version, Kind: res.Kind}
		d := apidiscoveryv2.APIResourceDiscovery{
			Resource: res.Resource, SingularResource: res.Singular, ResponseKind: &gvk,
			Scope: scopeOf(res), Verbs: discoveryVerbs, ShortNames: res.ShortNames, Categories: categories[res],
		}
		if res.HasStatus {
			d.Subresources = []apidiscoveryv2.APISubresourceDiscovery{{
				Subresource: "status", ResponseKind: &gvk, Verbs: statusVerbs,
			}}
		}
		out = append(out, d)
	}
	return out
}

// subresourceParents groups kubevirtSubresources by parent resource.
func subresourceParents() []apidiscoveryv2.APIResourceDiscovery {
	out := []apidiscoveryv2.APIResourceDiscovery{}
	index := map[*resource.Info]int{}
	for _, sub := range kubevirtSubresources {
		i, ok := index[sub.parent]
		if !ok {
			i = len(out)
			index[sub.parent] = i
			out = append(out, apidiscoveryv2.APIResourceDiscovery{
				Resource: sub.parent.Resource, Scope: scopeOf(sub.parent), Verbs: metav1.Verbs{},
			})
		}
		out[i].Subresources = append(out[i].Subresources, apidiscoveryv2.APISubresourceDiscovery{
			Subresource: sub.name, Verbs: sub.verbs,
		})
	}
	return out
}

func scopeOf(res *resource.Info) apidiscoveryv2.ResourceScope {
	if res.Namespaced {
		return apidiscoveryv2.ScopeNamespace
	}
	return apidiscoveryv2.ScopeCluster
}
