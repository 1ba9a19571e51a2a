package apiserver

import (
	"io"
	"net/http"
	"strings"
	"testing"

	apidiscoveryv2 "k8s.io/api/apidiscovery/v2"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// doAccept sends a GET with the given Accept header ("" sends none) and
// extra headers as name, value pairs.
func (e *env) doAccept(path, accept string, headers ...string) reply {
	e.t.Helper()
	req, err := http.NewRequest(http.MethodGet, e.http.URL+path, nil)
	if err != nil {
		e.t.Fatal(err)
	}
	if accept != "" {
		req.Header.Set("Accept", accept)
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	resp, err := e.http.Client().Do(req)
	if err != nil {
		e.t.Fatalf("GET %s: %v", path, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		e.t.Fatal(err)
	}
	return reply{code: resp.StatusCode, body: body, header: resp.Header}
}

const (
	acceptKubectl133 = "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList," +
		"application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList,application/json"
	acceptKubectl127 = "application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList,application/json"
)

func TestDiscoveryNegotiatesTheAggregatedForm(t *testing.T) {
	e := newEnv(t)
	cases := []struct {
		name, path, accept string
		wantType           string // "" means the legacy form
	}{
		{"kubectl 1.33 /apis", "/apis", acceptKubectl133, "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList"},
		{"kubectl 1.33 /api", "/api", acceptKubectl133, "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList"},
		{"kubectl 1.27 /apis", "/apis", acceptKubectl127, "application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList"},
		{"plain JSON", "/apis", "application/json", ""},
		{"no Accept", "/api", "", ""},
		{"JSON preferred", "/apis", "application/json,application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList", ""},
		{"unknown version", "/apis", "application/json;g=apidiscovery.k8s.io;v=v3;as=APIGroupDiscoveryList,*/*", ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := e.doAccept(tc.path, tc.accept).must(t, 200)
			if tc.wantType == "" {
				if ct := r.header.Get("Content-Type"); ct != "application/json" {
					t.Errorf("legacy content type %q", ct)
				}
				var tm metav1.TypeMeta
				r.into(t, &tm)
				if tm.Kind != "APIGroupList" && tm.Kind != "APIVersions" {
					t.Errorf("legacy reply of kind %q", tm.Kind)
				}
				return
			}
			if ct := r.header.Get("Content-Type"); ct != tc.wantType {
				t.Errorf("content type %q, want %q", ct, tc.wantType)
			}
			var list apidiscoveryv2.APIGroupDiscoveryList
			r.into(t, &list)
			wantVersion := "apidiscovery.k8s.io/v2"
			if strings.Contains(tc.wantType, "v2beta1") {
				wantVersion += "beta1"
			}
			if list.Kind != "APIGroupDiscoveryList" || list.APIVersion != wantVersion {
				t.Errorf("kind %q apiVersion %q", list.Kind, list.APIVersion)
			}
		})
	}
}

// findResource finds a resource of a group in an aggregated document.
func findDiscovered(list apidiscoveryv2.APIGroupDiscoveryList, group, res string) *apidiscoveryv2.APIResourceDiscovery {
	for _, g := range list.Items {
		if g.Name != group {
			continue
		}
		for _, v := range g.Versions {
			for i := range v.Resources {
				if v.Resources[i].Resource == res {
					return &v.Resources[i]
				}
			}
		}
	}
	return nil
}

func TestAggregatedDiscoveryDescribesEveryResource(t *testing.T) {
	e := newEnv(t)
	var apis, core apidiscoveryv2.APIGroupDiscoveryList
	e.doAccept("/apis", acceptKubectl133).must(t, 200).into(t, &apis)
	e.doAccept("/api", acceptKubectl133).must(t, 200).into(t, &core)
	cases := []struct {
		list              apidiscoveryv2.APIGroupDiscoveryList
		group, res, short string
		kind              string
		status            bool
	}{
		{apis, "kubevirt.io", "virtualmachines", "vm", "VirtualMachine", true},
		{apis, "kubevirt.io", "virtualmachineinstances", "vmi", "VirtualMachineInstance", true},
		{core, "", "services", "svc", "Service", true},
		{core, "", "endpoints", "ep", "Endpoints", false},
		{core, "", "events", "ev", "Event", false},
	}
	for _, tc := range cases {
		d := findDiscovered(tc.list, tc.group, tc.res)
		if d == nil {
			t.Errorf("%s: not discovered", tc.res)
			continue
		}
		if d.Scope != apidiscoveryv2.ScopeNamespace || d.ResponseKind == nil || d.ResponseKind.Kind != tc.kind ||
			d.ResponseKind.Group != tc.group || d.ShortNames[0] != tc.short || len(d.Verbs) != len(discoveryVerbs) {
			t.Errorf("%s: %+v", tc.res, d)
		}
		hasStatus := len(d.Subresources) == 1 && d.Subresources[0].Subresource == "status"
		if hasStatus != tc.status {
			t.Errorf("%s: subresources %+v", tc.res, d.Subresources)
		}
	}
	sub := findDiscovered(apis, "subresources.kubevirt.io", "virtualmachines")
	if sub == nil || len(sub.Subresources) != 3 || sub.Subresources[0].Subresource != "start" || sub.ResponseKind != nil {
		t.Errorf("KubeVirt's subresources: %+v", sub)
	}
}

func TestAggregatedDiscoveryRevalidatesWithETag(t *testing.T) {
	e := newEnv(t)
	first := e.doAccept("/apis", acceptKubectl133).must(t, 200)
	etag := first.header.Get("ETag")
	if etag == "" {
		t.Fatal("no ETag")
	}
	if r := e.doAccept("/apis", acceptKubectl133, "If-None-Match", etag); r.code != http.StatusNotModified || len(r.body) != 0 {
		t.Errorf("revalidation: %d %q", r.code, r.body)
	}
	e.doAccept("/apis", acceptKubectl133, "If-None-Match", `"stale"`).must(t, 200)
	if core := e.doAccept("/api", acceptKubectl133).header.Get("ETag"); core == etag {
		t.Error("/api and /apis share an ETag")
	}
}

func TestLegacyDiscoveryOfKubeVirtSubresources(t *testing.T) {
	e := newEnv(t)
	var list metav1.APIResourceList
	e.do("GET", "/apis/subresources.kubevirt.io/v1", "", nil).must(t, 200).into(t, &list)
	verbs := map[string]string{}
	for _, r := range list.APIResources {
		if !r.Namespaced {
			t.Errorf("%s is not namespaced", r.Name)
		}
		verbs[r.Name] = strings.Join(r.Verbs, ",")
	}
	want := map[string]string{
		"virtualmachines/start": "update", "virtualmachines/stop": "update", "virtualmachines/restart": "update",
		"virtualmachineinstances/console": "get", "virtualmachineinstances/log": "get", "virtualmachineinstances/guestexec": "create",
		"virtualmachineinstances/pause": "update", "virtualmachineinstances/unpause": "update",
	}
	for name, v := range want {
		if verbs[name] != v {
			t.Errorf("%s: verbs %q, want %q", name, verbs[name], v)
		}
	}
	if len(verbs) != len(want) {
		t.Errorf("resources %v", verbs)
	}
	var group metav1.APIGroup
	e.do("GET", "/apis/subresources.kubevirt.io", "", nil).must(t, 200).into(t, &group)
	if group.PreferredVersion.GroupVersion != "subresources.kubevirt.io/v1" {
		t.Errorf("group %+v", group)
	}
	e.do("POST", "/apis", "", nil).must(t, 405)
}

// TestDiscoveredSubresourcesAreServed keeps discovery and the handlers in
// step: every subresource discovered is routed to a handler (asked of an
// object that does not exist, it answers something other than "no such
// path" or "wrong method"), and every one the handler tables serve is
// discovered.
func TestDiscoveredSubresourcesAreServed(t *testing.T) {
	e := newEnv(t)
	methods := map[string]string{"update": "PUT", "get": "GET", "create": "POST"}
	listed := map[string]bool{}
	for _, sub := range kubevirtSubresources {
		listed[sub.parent.Resource+"/"+sub.name] = true
		path := "/apis/subresources.kubevirt.io/v1/namespaces/" + e.ns + "/" + sub.parent.Resource + "/missing/" + sub.name
		r := e.do(methods[sub.verbs[0]], path, "application/json", "{}")
		if r.code == http.StatusMethodNotAllowed || strings.Contains(string(r.body), "the server could not find the requested resource") {
			t.Errorf("%s/%s is discovered but not served: %d %s", sub.parent.Resource, sub.name, r.code, r.body)
		}
	}
	served := []string{}
	for name := range vmActions {
		served = append(served, "virtualmachines/"+name)
	}
	for name := range vmiSubresources {
		served = append(served, "virtualmachineinstances/"+name)
	}
	for _, name := range served {
		if !listed[name] {
			t.Errorf("%s is served but not discovered", name)
		}
	}
}

// kubectl asks for the namespace after an object's 404: every namespace
// exists in vigil.
func TestEveryNamespaceExists(t *testing.T) {
	e := newEnv(t)
	var ns struct {
		Kind     string            `json:"kind"`
		Metadata metav1.ObjectMeta `json:"metadata"`
		Status   struct{ Phase string }
	}
	e.do("GET", "/api/v1/namespaces/anything", "", nil).must(t, 200).into(t, &ns)
	if ns.Kind != "Namespace" || ns.Metadata.Name != "anything" || ns.Status.Phase != "Active" {
		t.Errorf("namespace %+v", ns)
	}
	e.do("DELETE", "/api/v1/namespaces/anything", "", nil).must(t, 405)
	e.do("GET", "/api/v1/namespaces/..", "", nil).must(t, 400)
	// Objects of a namespace are still served under it.
	e.do("GET", "/api/v1/namespaces/anything/services", "", nil).must(t, 200)
}
