package apiserver

import (
	"strings"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

func TestHealthVersionDiscovery(t *testing.T) {
	e := newEnv(t)
	for _, p := range []string{"/healthz", "/livez", "/readyz"} {
		if r := e.do("GET", p, "", nil).must(t, 200); string(r.body) != "ok" {
			t.Errorf("%s: %q", p, r.body)
		}
	}
	var v VersionInfo
	e.do("GET", "/version", "", nil).must(t, 200).into(t, &v)
	if v.Major != "1" || v.Minor != "33" || v.GitVersion != "v1.33.0-vigil.test" || v.VigilVersion != "test" || !strings.Contains(v.Platform, "/") {
		t.Errorf("version %+v", v)
	}
	var groups metav1.APIGroupList
	e.do("GET", "/apis", "", nil).must(t, 200).into(t, &groups)
	// KubeVirt's subresources group is listed as KubeVirt lists it.
	if len(groups.Groups) != 2 || groups.Groups[0].Name != "kubevirt.io" || groups.Groups[1].Name != "subresources.kubevirt.io" {
		t.Errorf("groups %+v", groups.Groups)
	}
	var res metav1.APIResourceList
	e.do("GET", "/apis/kubevirt.io/v1", "", nil).must(t, 200).into(t, &res)
	found := false
	for _, r := range res.APIResources {
		found = found || r.Name == "virtualmachines" && r.Namespaced && r.Kind == "VirtualMachine"
	}
	if !found {
		t.Errorf("resources %+v", res.APIResources)
	}
	e.do("GET", "/api/v1", "", nil).must(t, 200).into(t, &res)
	if len(res.APIResources) < 3 {
		t.Errorf("core resources %+v", res.APIResources)
	}
	e.do("POST", "/version", "", nil).must(t, 405)
}
