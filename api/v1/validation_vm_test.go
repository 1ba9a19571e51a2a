package v1

import (
	"slices"
	"strings"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

func TestValidateVirtualMachineRunStrategy(t *testing.T) {
	bogus := VirtualMachineRunStrategy("Sometimes")
	cases := []struct {
		name         string
		running      *bool
		strategy     *VirtualMachineRunStrategy
		want         []string
		wantWarnings []string
	}{{
		name: "neither: halted",
	}, {
		name:     "runStrategy alone",
		strategy: ptrTo(RunStrategyRerunOnFailure),
	}, {
		name:         "running alone is deprecated",
		running:      ptrTo(true),
		wantWarnings: []string{"spec.running is deprecated, please use spec.runStrategy instead."},
	}, {
		name:     "both",
		running:  ptrTo(false),
		strategy: ptrTo(RunStrategyAlways),
		want: []string{"spec.running: Invalid value: false: Running and RunStrategy are mutually exclusive. " +
			"Note that Running is deprecated, please use RunStrategy instead"},
		wantWarnings: []string{"spec.running is deprecated, please use spec.runStrategy instead."},
	}, {
		name:     "unknown strategy",
		strategy: &bogus,
		want: []string{`spec.runStrategy: Unsupported value: "Sometimes": Invalid RunStrategy (Sometimes); ` +
			`supported values: "Always", "RerunOnFailure", "Manual", "Halted", "Once"`},
	}}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			vm := validVM()
			vm.Spec.Running, vm.Spec.RunStrategy = tc.running, tc.strategy
			errs, warnings := ValidateVirtualMachine(vm)
			assertErrors(t, errs, tc.want)
			if !slices.Equal(warnings, tc.wantWarnings) {
				t.Errorf("warnings = %q, want %q", warnings, tc.wantWarnings)
			}
		})
	}
}

func TestValidateVirtualMachineTemplate(t *testing.T) {
	vm := validVM()
	vm.Spec.Template = nil
	errs, _ := ValidateVirtualMachine(vm)
	assertErrors(t, errs, []string{"spec.template: Required value: a VirtualMachine needs a template: " +
		"the metadata and spec of the VirtualMachineInstance it runs"})

	vm = validVM()
	vm.Spec.Template.ObjectMeta.Labels = map[string]string{"kubevirt.io/vm": "ok", "bad key!": "x"}
	errs, _ = ValidateVirtualMachine(vm)
	if len(errs) != 1 || errs[0].Field != "spec.template.metadata.labels" {
		t.Errorf("template label error = %v, want one on spec.template.metadata.labels", errs)
	}
}

func TestValidateObjectMetaName(t *testing.T) {
	subdomainMsg := "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', " +
		"and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is " +
		`'[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')`
	cases := []struct {
		name       string
		meta       metav1.ObjectMeta
		namespaced bool
		want       []string
	}{{
		name: "valid", namespaced: true,
		meta: metav1.ObjectMeta{Name: "fedora-vm", Namespace: "example-namespace",
			Labels: map[string]string{"kubevirt.io/vm": "vm2-rhel84-watchdog"}, Annotations: map[string]string{"a": "b"}},
	}, {
		name: "dotted name is a subdomain", namespaced: true,
		meta: metav1.ObjectMeta{Name: "vm.example"},
	}, {
		name: "placeholder name", namespaced: true,
		meta: metav1.ObjectMeta{Name: "<vm-name>"},
		want: []string{`metadata.name: Invalid value: "<vm-name>": ` + subdomainMsg},
	}, {
		name: "missing name", namespaced: true,
		want: []string{"metadata.name: Required value: a name is required: a lowercase RFC 1123 subdomain such as 'my-vm'"},
	}, {
		name: "bad namespace", namespaced: true,
		meta: metav1.ObjectMeta{Name: "vm", Namespace: "a.b"},
		want: []string{`metadata.namespace: Invalid value: "a.b": must not contain dots`},
	}, {
		name: "namespace on a cluster-scoped object",
		meta: metav1.ObjectMeta{Name: "vm", Namespace: "ns"},
		want: []string{"metadata.namespace: Forbidden: not allowed on a cluster-scoped object"},
	}, {
		name: "bad labels and annotations", namespaced: true,
		meta: metav1.ObjectMeta{Name: "vm", Labels: map[string]string{"app": "has space"},
			Annotations: map[string]string{"-bad": "x"}},
		want: []string{
			`metadata.labels: Invalid value: "has space": a valid label must be an empty string or consist of ` +
				`alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character ` +
				`(e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is ` +
				`'(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')`,
			`metadata.annotations: Invalid value: "-bad": name part must consist of alphanumeric characters, ` +
				`'-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or ` +
				`'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')`,
		},
	}}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			assertErrors(t, ValidateObjectMetaName(&tc.meta, tc.namespaced, field.NewPath("metadata")), tc.want)
		})
	}
}

// Every problem is reported at once, not only the first.
func TestValidateVirtualMachineCollectsAllCauses(t *testing.T) {
	vm := validVM()
	vm.Name = "Bad_Name"
	vm.Spec.Running = ptrTo(true)
	s := &vm.Spec.Template.Spec
	s.Volumes = nil
	s.ReadinessProbe = &Probe{}
	s.TerminationGracePeriodSeconds = ptrTo(int64(-1))
	errs, _ := ValidateVirtualMachine(vm)
	var fields []string
	for _, e := range errs {
		fields = append(fields, e.Field)
	}
	want := []string{"metadata.name", "spec.running", "spec.template.spec.readinessProbe",
		"spec.template.spec.volumes", "spec.template.spec.terminationGracePeriodSeconds"}
	if !slices.Equal(fields, want) {
		t.Errorf("fields with errors:\n got %s\nwant %s", strings.Join(fields, ", "), strings.Join(want, ", "))
	}
}
