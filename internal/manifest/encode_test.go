package manifest

import (
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	v1 "vigil.dev/vigil/api/v1"
)

func TestEncodeSetsTypeMeta(t *testing.T) {
	vm := &v1.VirtualMachine{ObjectMeta: metav1.ObjectMeta{Name: "vm", Namespace: "default"}}
	out, err := Encode(vm, FormatYAML)
	if err != nil {
		t.Fatal(err)
	}
	want := "apiVersion: kubevirt.io/v1\nkind: VirtualMachine\nmetadata:\n  name: vm\n  namespace: default\n" +
		"spec:\n  template: null\nstatus: {}\n"
	if string(out) != want {
		t.Errorf("yaml:\n%s\nwant:\n%s", out, want)
	}
	if vm.Kind != "" || vm.APIVersion != "" {
		t.Errorf("Encode changed its argument: %+v", vm.TypeMeta)
	}

	out, err = Encode(&corev1.Service{ObjectMeta: metav1.ObjectMeta{Name: "web"}}, FormatJSON)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(string(out), "{\n    \"kind\": \"Service\",\n    \"apiVersion\": \"v1\",\n") ||
		!strings.HasSuffix(string(out), "}\n") {
		t.Errorf("json:\n%s", out)
	}
}

func TestEncodeList(t *testing.T) {
	list := &v1.VirtualMachineInstanceList{Items: []v1.VirtualMachineInstance{{ObjectMeta: metav1.ObjectMeta{Name: "a"}}}}
	out, err := Encode(list, FormatYAML)
	if err != nil {
		t.Fatal(err)
	}
	s := string(out)
	if !strings.HasPrefix(s, "apiVersion: kubevirt.io/v1\nitems:\n- apiVersion: kubevirt.io/v1\n  kind: VirtualMachineInstance\n") ||
		!strings.Contains(s, "\nkind: VirtualMachineInstanceList\n") {
		t.Errorf("list yaml:\n%s", s)
	}
}

func TestEncodeRoundTrip(t *testing.T) {
	y := vmHead + "  namespace: default\nspec:\n  runStrategy: Always\n  template:\n    spec:\n" +
		"      readinessProbe:\n        httpGet: {port: 1500, path: /healthz}\n        periodSeconds: 20\n"
	obj, _, err := decodeYAML(t, y)
	if err != nil {
		t.Fatal(err)
	}
	for _, format := range []string{FormatJSON, FormatYAML} {
		out, err := Encode(obj, format)
		if err != nil {
			t.Fatal(err)
		}
		docs, err := SplitDocuments(out)
		if err != nil {
			t.Fatal(err)
		}
		back, _, err := Decode(docs[0].JSON)
		if err != nil {
			t.Fatalf("%s output does not decode strictly: %v\n%s", format, err, out)
		}
		p := back.(*v1.VirtualMachine).Spec.Template.Spec.ReadinessProbe
		if p.HTTPGet.Port.IntVal != 1500 || p.PeriodSeconds != 20 {
			t.Errorf("%s round trip lost the probe: %+v", format, p)
		}
	}
}

func TestEncodeErrors(t *testing.T) {
	if _, err := Encode(&v1.VirtualMachine{}, "xml"); err == nil ||
		err.Error() != `unsupported output format "xml": use json or yaml` {
		t.Errorf("bad format error = %v", err)
	}
	if _, err := Encode(&metav1.Status{}, FormatJSON); err == nil ||
		err.Error() != "cannot encode *v1.Status: not a kind vigil serves" {
		t.Errorf("unknown type error = %v", err)
	}
}
