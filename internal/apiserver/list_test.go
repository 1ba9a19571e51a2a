package apiserver

import (
	"slices"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	v1 "vigil.dev/vigil/api/v1"
)

func names(items []v1.VirtualMachine) []string {
	out := make([]string, len(items))
	for i, it := range items {
		out[i] = it.Name
	}
	return out
}

func TestListSelectors(t *testing.T) {
	e := newEnv(t)
	for _, n := range []string{"a", "b", "c"} {
		e.do("POST", e.vmPath(), "application/json", vmJSON(n, "Halted")).must(t, 201)
	}
	cases := []struct {
		query string
		want  []string
	}{
		{"", []string{"a", "b", "c"}},
		{"?labelSelector=app%3Db", []string{"b"}},
		{"?labelSelector=app+in+(a,c)", []string{"a", "c"}},
		{"?fieldSelector=metadata.name%3Dc", []string{"c"}},
		{"?fieldSelector=metadata.name!%3Dc", []string{"a", "b"}},
		{"?fieldSelector=metadata.namespace%3Dnowhere", []string{}},
	}
	for _, c := range cases {
		var list v1.VirtualMachineList
		e.do("GET", e.vmPath()+c.query, "", nil).must(t, 200).into(t, &list)
		if got := names(list.Items); len(got) != len(c.want) || (len(got) > 0 && !slices.Equal(got, c.want)) {
			t.Errorf("%q: got %v, want %v", c.query, got, c.want)
		}
	}
	e.do("GET", e.vmPath()+"?fieldSelector=spec.running%3Dtrue", "", nil).must(t, 400).status(t)
	e.do("GET", e.vmPath()+"?labelSelector=%3D%3D%3D", "", nil).must(t, 400)
	e.do("GET", e.vmPath()+"?limit=x", "", nil).must(t, 400)

	// Paging: limit and continue come from the store.
	var page v1.VirtualMachineList
	e.do("GET", e.vmPath()+"?limit=2", "", nil).must(t, 200).into(t, &page)
	if len(page.Items) != 2 || page.Continue == "" {
		t.Fatalf("first page: %v continue %q", names(page.Items), page.Continue)
	}
	var rest v1.VirtualMachineList
	e.do("GET", e.vmPath()+"?limit=2&continue="+page.Continue, "", nil).must(t, 200).into(t, &rest)
	if got := names(rest.Items); len(got) != 1 || got[0] != "c" {
		t.Errorf("second page %v", got)
	}

	// Cluster-wide list sees this namespace's objects too.
	var all v1.VirtualMachineList
	e.do("GET", "/apis/kubevirt.io/v1/virtualmachines?fieldSelector=metadata.namespace%3D"+e.ns, "", nil).must(t, 200).into(t, &all)
	if len(all.Items) != 3 {
		t.Errorf("cluster-wide list with namespace selector: %v", names(all.Items))
	}
}

func TestEventFieldSelectors(t *testing.T) {
	e := newEnv(t)
	for i, reason := range []string{"Started", "Unhealthy"} {
		ev := corev1.Event{
			ObjectMeta:     metav1.ObjectMeta{Name: "ev" + string(rune('a'+i))},
			InvolvedObject: corev1.ObjectReference{Kind: "VirtualMachineInstance", Namespace: e.ns, Name: "vm" + string(rune('a'+i)), UID: "u1"},
			Reason:         reason,
			Type:           corev1.EventTypeNormal,
		}
		e.do("POST", e.corePath("events"), "application/json", &ev).must(t, 201)
	}
	var list corev1.EventList
	q := "?fieldSelector=involvedObject.kind%3DVirtualMachineInstance,involvedObject.name%3Dvmb,involvedObject.uid%3Du1,involvedObject.namespace%3D" + e.ns
	e.do("GET", e.corePath("events")+q, "", nil).must(t, 200).into(t, &list)
	if len(list.Items) != 1 || list.Items[0].Reason != "Unhealthy" {
		t.Errorf("events by involvedObject: %+v", list.Items)
	}
	e.do("GET", e.corePath("events")+"?fieldSelector=reason%3DStarted,type%3DNormal", "", nil).must(t, 200).into(t, &list)
	if len(list.Items) != 1 || list.Items[0].Name != "eva" {
		t.Errorf("events by reason: %+v", list.Items)
	}
	bad := corev1.Event{ObjectMeta: metav1.ObjectMeta{Name: "x"}, InvolvedObject: corev1.ObjectReference{Namespace: "elsewhere"}}
	e.do("POST", e.corePath("events"), "application/json", &bad).must(t, 422)
}
