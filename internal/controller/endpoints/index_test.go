package endpoints

import (
	"reflect"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

func selecting(name string, sel map[string]string) *corev1.Service {
	return &corev1.Service{ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Name: name}, Spec: corev1.ServiceSpec{Selector: sel}}
}

func TestVMIIndexNamesServicesThatSelectTheVMINowOrBefore(t *testing.T) {
	svcs := []*corev1.Service{
		selecting("web", map[string]string{"app": "web"}),
		selecting("db", map[string]string{"app": "db"}),
		selecting("manual", nil),
	}
	var x VMIIndex
	vmi := testVMI("a", "10.89.0.5")
	if got := x.Changed(vmi, false, svcs); !reflect.DeepEqual(got, []string{"ns/web"}) {
		t.Fatalf("first change: %v", got)
	}
	vmi.Labels = map[string]string{"app": "db"}
	if got := x.Changed(vmi, false, svcs); !reflect.DeepEqual(got, []string{"ns/web", "ns/db"}) {
		t.Fatalf("relabelled: %v, want the old and the new service", got)
	}
	if got := x.Changed(vmi, false, svcs); !reflect.DeepEqual(got, []string{"ns/db"}) {
		t.Fatalf("unchanged labels: %v", got)
	}
	if got := x.Changed(vmi, true, svcs); !reflect.DeepEqual(got, []string{"ns/db"}) {
		t.Fatalf("deleted: %v", got)
	}
	vmi.Labels = map[string]string{"app": "other"}
	if got := x.Changed(vmi, false, svcs); len(got) != 0 {
		t.Fatalf("a deleted VMI's labels were kept: %v", got)
	}
}
