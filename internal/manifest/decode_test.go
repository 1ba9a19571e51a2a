package manifest

import (
	"errors"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"

	v1 "vigil.dev/vigil/api/v1"
	"vigil.dev/vigil/internal/resource"
)

// decodeYAML splits a one-document YAML text and decodes it.
func decodeYAML(t *testing.T, y string) (runtime.Object, *resource.Info, error) {
	t.Helper()
	docs, err := SplitDocuments([]byte(y))
	if err != nil || len(docs) != 1 {
		t.Fatalf("split: %d documents, %v", len(docs), err)
	}
	return Decode(docs[0].JSON)
}

// strictMessages renders a *StrictError's field errors, or fails.
func strictMessages(t *testing.T, err error) []string {
	t.Helper()
	var se *StrictError
	if !errors.As(err, &se) || !errors.Is(err, ErrStrict) {
		t.Fatalf("error %v (%T) is not a *StrictError", err, err)
	}
	out := make([]string, len(se.Errs))
	for i, fe := range se.Errs {
		out[i] = fe.Error()
	}
	return out
}

func TestDecodeSeedManifests(t *testing.T) {
	files, err := filepath.Glob("../../api/v1/testdata/seed/*.yaml")
	if err != nil || len(files) != 5 {
		t.Fatalf("seed manifests: %v %v", files, err)
	}
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			data, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			docs, err := SplitDocuments(data)
			if err != nil || len(docs) != 1 {
				t.Fatalf("split: %d documents, %v", len(docs), err)
			}
			obj, info, err := Decode(docs[0].JSON)
			if err != nil {
				t.Fatalf("decode: %v", err)
			}
			vm, ok := obj.(*v1.VirtualMachine)
			if !ok || info != resource.VirtualMachines {
				t.Fatalf("decoded %T as %v", obj, info)
			}
			if vm.Spec.Template == nil || (vm.Spec.Template.Spec.ReadinessProbe == nil &&
				vm.Spec.Template.Spec.LivenessProbe == nil && vm.Spec.Template.Spec.Domain.Devices.Watchdog == nil) {
				t.Errorf("nothing of the seed's spec survived: %+v", vm.Spec)
			}
			if vm.Annotations != nil {
				t.Errorf("empty annotations: decoded as %v", vm.Annotations)
			}
		})
	}
}

func TestDecodeKinds(t *testing.T) {
	cases := []struct {
		name string
		doc  string
		want string
	}{{
		name: "misspelt kind",
		doc:  `{"apiVersion":"kubevirt.io/v1","kind":"VirtualMachin"}`,
		want: `no kind "VirtualMachin" is registered for version "kubevirt.io/v1": known kinds are ` +
			`VirtualMachine, VirtualMachineInstance (kubevirt.io/v1); Service, Endpoints, Event (v1)`,
	}, {
		name: "wrong apiVersion of a known kind",
		doc:  `{"apiVersion":"kubevirt.io/v1alpha3","kind":"VirtualMachine"}`,
		want: `no kind "VirtualMachine" is registered for version "kubevirt.io/v1alpha3": ` +
			`VirtualMachine is served as apiVersion "kubevirt.io/v1"`,
	}, {
		name: "core kind under the KubeVirt group",
		doc:  `{"apiVersion":"kubevirt.io/v1","kind":"Service"}`,
		want: `no kind "Service" is registered for version "kubevirt.io/v1": Service is served as apiVersion "v1"`,
	}, {
		name: "no apiVersion",
		doc:  `{"kind":"VirtualMachine"}`,
		want: `the document has no apiVersion: kind "VirtualMachine" is served as apiVersion "kubevirt.io/v1"`,
	}, {
		name: "no kind",
		doc:  `{"apiVersion":"v1","metadata":{"name":"x"}}`,
		want: `the document has no kind: every document needs apiVersion and kind; known kinds are ` +
			`VirtualMachine, VirtualMachineInstance (kubevirt.io/v1); Service, Endpoints, Event (v1)`,
	}}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			obj, info, err := Decode([]byte(tc.doc))
			if err == nil || err.Error() != tc.want {
				t.Errorf("error:\n got %v\nwant %s", err, tc.want)
			}
			if !errors.Is(err, ErrUnknownKind) || obj != nil || info != nil {
				t.Errorf("errors.Is(ErrUnknownKind) = %v, obj %v, info %v", errors.Is(err, ErrUnknownKind), obj, info)
			}
		})
	}
}

func TestDecodeNotAnObject(t *testing.T) {
	for doc, want := range map[string]string{
		`[{"kind":"Service"}]`:         "malformed manifest: a manifest must be an object with apiVersion and kind, not a list",
		` "Service"`:                   "malformed manifest: a manifest must be an object with apiVersion and kind, not a string",
		`{"kind":"Service",}`:          "malformed manifest: invalid character '}' looking for beginning of object key string",
		`{"apiVersion":1,"kind":true}`: "[apiVersion: expected a string, got number 1, kind: expected a string, got boolean true]",
	} {
		_, _, err := Decode([]byte(doc))
		if err == nil || err.Error() != want {
			t.Errorf("Decode(%s):\n got %v\nwant %s", doc, err, want)
		}
	}
}

func TestDecodeCoreKind(t *testing.T) {
	obj, info, err := decodeYAML(t, "apiVersion: v1\nkind: Service\nmetadata:\n  name: web\n"+
		"spec:\n  selector:\n    app: web\n  ports:\n  - port: 80\n    targetPort: 1500\n")
	if err != nil {
		t.Fatal(err)
	}
	svc, ok := obj.(*corev1.Service)
	if !ok || info != resource.Services || svc.Spec.Ports[0].TargetPort.IntVal != 1500 || svc.Kind != "Service" {
		t.Errorf("decoded %T %+v as %v", obj, obj, info)
	}
}

const vmHead = "apiVersion: kubevirt.io/v1\nkind: VirtualMachine\nmetadata:\n  name: vm\n"

func TestDecodeUnknownFields(t *testing.T) {
	cases := []struct {
		name string
		yaml string
		want []string
	}{{
		name: "in metadata",
		yaml: vmHead + "  labelz: {a: b}\n",
		want: []string{"metadata.labelz: unknown field"},
	}, {
		name: "field names are case-sensitive",
		yaml: vmHead + "spec:\n  RunStrategy: Always\n",
		want: []string{"spec.RunStrategy: unknown field"},
	}, {
		name: "deep in a probe",
		yaml: vmHead + "spec:\n  template:\n    spec:\n      readinessProbe:\n        httpGett:\n          port: 80\n",
		want: []string{"spec.template.spec.readinessProbe.httpGett: unknown field"},
	}, {
		name: "several at several depths, in lists too",
		yaml: vmHead + "  colour: red\nspec:\n  runStrategy: Always\n  restart: true\n  template:\n    spec:\n" +
			"      volumes:\n      - name: a\n        containerDisk: {image: tiny, size: 1}\n" +
			"      livenessProbe:\n        guestAgentPing: {}\n        periodSecond: 5\n",
		want: []string{
			"metadata.colour: unknown field",
			"spec.restart: unknown field",
			"spec.template.spec.livenessProbe.periodSecond: unknown field",
			"spec.template.spec.volumes[0].containerDisk.size: unknown field",
		},
	}, {
		name: "the status is not free-form either",
		yaml: vmHead + "status:\n  phase: Running\n",
		want: []string{"status.phase: unknown field"},
	}}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			obj, _, err := decodeYAML(t, tc.yaml)
			got := strictMessages(t, err)
			slices.Sort(got)
			if !slices.Equal(got, tc.want) {
				t.Errorf("errors:\n got %q\nwant %q", got, tc.want)
			}
			if obj != nil {
				t.Errorf("an object was returned with the error: %v", obj)
			}
		})
	}
}

func TestDecodeDuplicateFields(t *testing.T) {
	_, _, err := Decode([]byte(`{"apiVersion":"kubevirt.io/v1","kind":"VirtualMachine",` +
		`"metadata":{"name":"a","name":"b"},"spec":{"template":{"spec":{"volumes":[{"name":"x","name":"y"}]}}}}`))
	got := strictMessages(t, err)
	want := []string{"metadata.name: duplicate field", "spec.template.spec.volumes[0].name: duplicate field"}
	if !slices.Equal(got, want) {
		t.Errorf("errors:\n got %q\nwant %q", got, want)
	}
	var se *StrictError
	errors.As(err, &se)
	if se.Errs[0].Type != metav1.CauseTypeFieldValueDuplicate {
		t.Errorf("cause type = %q", se.Errs[0].Type)
	}
}

// A value of the wrong type stops the JSON decoder; every such value and
// every unknown field is still reported, each with its path.
func TestDecodeTypeErrors(t *testing.T) {
	y := vmHead + "  labels: {a: 1}\n  extra: 1\nspec:\n  running: \"yes\"\n  template:\n    spec:\n" +
		"      terminationGracePeriodSeconds: 1.5\n" +
		"      domain:\n        cpu: {cores: -1}\n        memory: {guest: lots}\n" +
		"        devices: {disks: {name: a}}\n" +
		"      readinessProbe:\n        periodSeconds: \"10\"\n        failureThreshold: 3000000000\n" +
		"        httpGet: {port: true}\n"
	_, _, err := decodeYAML(t, y)
	want := []string{
		"metadata.extra: unknown field",
		`metadata.labels.a: expected a string, got number 1`,
		`spec.running: expected a boolean, got string "yes"`,
		"spec.template.spec.domain.cpu.cores: expected a non-negative integer that fits uint32, got number -1",
		"spec.template.spec.domain.devices.disks: expected an array, got object",
		`spec.template.spec.domain.memory.guest: expected a quantity such as "128Mi" or 1, got string "lots"`,
		"spec.template.spec.readinessProbe.failureThreshold: expected an integer that fits int32, got number 3000000000",
		"spec.template.spec.readinessProbe.httpGet.port: expected an integer or a string, got boolean true",
		`spec.template.spec.readinessProbe.periodSeconds: expected an integer, got string "10"`,
		"spec.template.spec.terminationGracePeriodSeconds: expected an integer that fits int64, got number 1.5",
	}
	if got := strictMessages(t, err); !slices.Equal(got, want) {
		t.Errorf("errors:\n got %s\nwant %s", strings.Join(got, "\n     "), strings.Join(want, "\n     "))
	}
}

func TestDecodeInto(t *testing.T) {
	vm := &v1.VirtualMachine{}
	vm.Labels = map[string]string{"stale": "x"}
	if err := DecodeInto([]byte(`{"metadata":{"name":"vm","labels":{"fresh":"y"}},"spec":{}}`), vm); err != nil {
		t.Fatal(err)
	}
	if vm.Kind != "VirtualMachine" || vm.APIVersion != "kubevirt.io/v1" {
		t.Errorf("type meta not filled in: %+v", vm.TypeMeta)
	}
	if _, stale := vm.Labels["stale"]; stale || vm.Labels["fresh"] != "y" {
		t.Errorf("object not reset before decoding: labels %v", vm.Labels)
	}

	err := DecodeInto([]byte(`{"apiVersion":"v1","kind":"Service","metadata":{"name":"vm"}}`), &v1.VirtualMachine{})
	want := `the document is kind "Service" of apiVersion "v1", but a VirtualMachine of apiVersion "kubevirt.io/v1" is expected here`
	if err == nil || err.Error() != want || !errors.Is(err, ErrUnknownKind) {
		t.Errorf("kind mismatch error = %v", err)
	}

	err = DecodeInto([]byte(`{"kind":"VirtualMachineInstance","apiVersion":"kubevirt.io/v1","spec":{"domian":{}}}`),
		&v1.VirtualMachineInstance{})
	if got := strictMessages(t, err); !slices.Equal(got, []string{"spec.domian: unknown field"}) {
		t.Errorf("errors = %q", got)
	}

	// Types outside the table (request options) decode strictly too.
	opts := &metav1.DeleteOptions{}
	if err := DecodeInto([]byte(`{"propagationPolicy":"Foreground","gracePeriod":1}`), opts); err == nil {
		t.Error("unknown field of DeleteOptions accepted")
	}
}

func TestStrictErrorStatus(t *testing.T) {
	_, _, err := Decode([]byte(`{"apiVersion":"kubevirt.io/v1","kind":"VirtualMachine","metadata":{"name":"vm"},` +
		`"spec":{"template":{"spec":{"readinessProbe":{"httpGett":{}}}}},"extra":1}`))
	var se *StrictError
	if !errors.As(err, &se) {
		t.Fatalf("error %v is not a *StrictError", err)
	}
	st := se.Status(schema.GroupKind{Group: "kubevirt.io", Kind: "VirtualMachine"}, "vm").ErrStatus
	if st.Code != http.StatusUnprocessableEntity || st.Reason != metav1.StatusReasonInvalid {
		t.Errorf("status %d %s", st.Code, st.Reason)
	}
	wantMsg := `VirtualMachine.kubevirt.io "vm" is invalid: [extra: unknown field, ` +
		`spec.template.spec.readinessProbe.httpGett: unknown field]`
	if st.Message != wantMsg {
		t.Errorf("message:\n got %s\nwant %s", st.Message, wantMsg)
	}
	want := []metav1.StatusCause{
		{Type: "FieldValueUnknown", Message: "unknown field", Field: "extra"},
		{Type: "FieldValueUnknown", Message: "unknown field", Field: "spec.template.spec.readinessProbe.httpGett"},
	}
	if !slices.Equal(st.Details.Causes, want) {
		t.Errorf("causes = %+v", st.Details.Causes)
	}
}

func TestDecodeLargeDocument(t *testing.T) {
	userData := strings.Repeat("# padding line for a large cloud-init user-data document\n", (1<<20)/57+1)
	var b strings.Builder
	b.WriteString(vmHead + "spec:\n  template:\n    spec:\n      volumes:\n      - name: ci\n" +
		"        cloudInitNoCloud:\n          userData: |\n")
	for _, l := range strings.SplitAfter(userData, "\n") {
		if l != "" {
			b.WriteString("            " + l)
		}
	}
	if b.Len() < 1<<20 {
		t.Fatalf("document is only %d bytes", b.Len())
	}
	obj, _, err := decodeYAML(t, b.String())
	if err != nil {
		t.Fatal(err)
	}
	got := obj.(*v1.VirtualMachine).Spec.Template.Spec.Volumes[0].CloudInitNoCloud.UserData
	if got != userData {
		t.Errorf("user data of %d bytes came back as %d bytes", len(userData), len(got))
	}
}
