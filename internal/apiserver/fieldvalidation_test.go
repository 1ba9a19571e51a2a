package apiserver

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"

	v1 "vigil.dev/vigil/api/v1"
	"vigil.dev/vigil/internal/manifest"
)

// vmWithTypo is a VM with an unknown field deep in its template and a
// duplicated label key.
const vmWithTypo = `{"apiVersion":"kubevirt.io/v1","kind":"VirtualMachine",
 "metadata":{"name":"%s","labels":{"app":"x","app":"y"}},
 "spec":{"runStrategy":"Halted","template":{"spec":{"domain":{"firmware":{"kernelBoot":{"container":{"image":"tiny"}}}},
  "readinessProbe":{"tcpSocket":{"port":22},"periodSecs":5}}}}}`

func vmTypo(name string) string { return strings.Replace(vmWithTypo, "%s", name, 1) }

func TestFieldValidationOnCreate(t *testing.T) {
	e := newEnv(t)
	cases := []struct {
		query    string
		code     int
		warnings []string
	}{
		{"", 422, nil},
		{"?fieldValidation=Strict", 422, nil},
		{"?fieldValidation=Warn", 201, []string{
			`299 - "duplicate field \"metadata.labels.app\""`,
			`299 - "unknown field \"spec.template.spec.readinessProbe.periodSecs\""`}},
		{"?fieldValidation=Ignore", 201, nil},
		{"?fieldValidation=Lenient", 400, nil},
	}
	for i, tc := range cases {
		name := "v" + string(rune('a'+i))
		r := e.do("POST", e.vmPath()+tc.query, "application/json", vmTypo(name)).must(t, tc.code)
		if got := r.header.Values("Warning"); strings.Join(got, "\n") != strings.Join(tc.warnings, "\n") {
			t.Errorf("%q: warnings %q, want %q", tc.query, got, tc.warnings)
		}
		if tc.code == 422 {
			st := r.status(t)
			if len(st.Details.Causes) != 2 || st.Details.Causes[1].Field != "spec.template.spec.readinessProbe.periodSecs" {
				t.Errorf("%q: causes %+v", tc.query, st.Details.Causes)
			}
		}
		if tc.code != 201 {
			continue
		}
		var vm v1.VirtualMachine
		r.into(t, &vm)
		if vm.Labels["app"] != "y" || vm.Spec.Template.Spec.ReadinessProbe.TCPSocket == nil {
			t.Errorf("%q: stored %+v", tc.query, vm.ObjectMeta.Labels)
		}
	}
}

func TestFieldValidationNeverForgivesAWrongType(t *testing.T) {
	e := newEnv(t)
	body := strings.Replace(vmTypo("w"), `"runStrategy":"Halted"`, `"runStrategy":7`, 1)
	st := e.do("POST", e.vmPath()+"?fieldValidation=Ignore", "application/json", body).must(t, 422).status(t)
	found := false
	for _, c := range st.Details.Causes {
		found = found || c.Field == "spec.runStrategy"
	}
	if !found {
		t.Errorf("causes %+v do not name spec.runStrategy", st.Details.Causes)
	}
}

func TestFieldValidationOnUpdateAndPatch(t *testing.T) {
	e := newEnv(t)
	var vm v1.VirtualMachine
	e.do("POST", e.vmPath(), "application/json", vmJSON("u", "Halted")).must(t, 201).into(t, &vm)
	e.do("PATCH", e.vmPath("u"), mergePatch, `{"spec":{"runStrategyy":"Always"}}`).must(t, 422)
	r := e.do("PATCH", e.vmPath("u")+"?fieldValidation=Warn", mergePatch, `{"spec":{"runStrategyy":"Always"},"metadata":{"labels":{"p":"1"}}}`).must(t, 200)
	if got := r.header.Get("Warning"); got != `299 - "unknown field \"spec.runStrategyy\""` {
		t.Errorf("patch warning %q", got)
	}
	r.into(t, &vm)
	if vm.Labels["p"] != "1" {
		t.Errorf("the patch's known part was not applied: %v", vm.Labels)
	}
	raw, _ := json.Marshal(vm)
	var put map[string]any
	_ = json.Unmarshal(raw, &put)
	put["spec"].(map[string]any)["extra"] = true
	e.do("PUT", e.vmPath("u"), "application/json", put).must(t, 422)
	r = e.do("PUT", e.vmPath("u")+"?fieldValidation=Ignore", "application/json", put).must(t, 200)
	if len(r.header.Values("Warning")) != 0 {
		t.Errorf("Ignore warned: %v", r.header.Values("Warning"))
	}
}

func TestPruneUnknownFields(t *testing.T) {
	doc := `{"apiVersion":"kubevirt.io/v1","kind":"VirtualMachineInstance","bogus":1,
	 "metadata":{"name":"a","labels":{"free":"keys stay"}},
	 "spec":{"domain":{"devices":{"disks":[{"name":"d","disk":{"bus":"virtio"},"typo":1}]},"resources":{"requests":{"memory":"64Mi"}}},
	  "readinessProbe":{"httpGet":{"port":"web","nope":true}}}}`
	out, err := pruneUnknownFields([]byte(doc), reflect.TypeFor[*v1.VirtualMachineInstance]())
	if err != nil {
		t.Fatal(err)
	}
	for _, gone := range []string{"bogus", "typo", "nope"} {
		if strings.Contains(string(out), gone) {
			t.Errorf("%s survived: %s", gone, out)
		}
	}
	for _, kept := range []string{`"free":"keys stay"`, `"bus":"virtio"`, `"memory":"64Mi"`, `"port":"web"`} {
		if !strings.Contains(string(out), kept) {
			t.Errorf("%s was dropped: %s", kept, out)
		}
	}
	if _, _, err := manifest.Decode(out); err != nil {
		t.Errorf("the pruned document does not decode strictly: %v", err)
	}
}
