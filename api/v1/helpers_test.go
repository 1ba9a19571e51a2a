package v1

import (
	"slices"
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

// validVMISpec is a minimal spec every rule accepts: a boot disk, the
// default network, nothing else. Cases mutate a fresh copy.
func validVMISpec() VirtualMachineInstanceSpec {
	return VirtualMachineInstanceSpec{
		Volumes: []Volume{{
			Name:         "boot",
			VolumeSource: VolumeSource{ContainerDisk: &ContainerDiskSource{Image: "tiny"}},
		}},
	}
}

func validVMI() *VirtualMachineInstance {
	return &VirtualMachineInstance{
		ObjectMeta: metav1.ObjectMeta{Name: "vmi1", Namespace: "default"},
		Spec:       validVMISpec(),
	}
}

func validVM() *VirtualMachine {
	always := RunStrategyAlways
	return &VirtualMachine{
		ObjectMeta: metav1.ObjectMeta{Name: "vm1", Namespace: "default"},
		Spec: VirtualMachineSpec{
			RunStrategy: &always,
			Template:    &VirtualMachineInstanceTemplateSpec{Spec: validVMISpec()},
		},
	}
}

// errorStrings renders errors as users see them: "path: Type: value: detail".
func errorStrings(errs field.ErrorList) []string {
	out := make([]string, len(errs))
	for i, e := range errs {
		out[i] = e.Error()
	}
	return out
}

// assertErrors compares errors exactly, in order.
func assertErrors(t *testing.T, got field.ErrorList, want []string) {
	t.Helper()
	g := errorStrings(got)
	if !slices.Equal(g, want) {
		t.Errorf("errors:\n got: %s\nwant: %s", strings.Join(g, "\n      "), strings.Join(want, "\n      "))
	}
}

// specCase is one table row: mutate a valid spec, expect exactly these
// errors (paths relative to the VMI root, "spec.").
type specCase struct {
	name   string
	mutate func(s *VirtualMachineInstanceSpec)
	want   []string
}

// runVMISpecCases validates each case as a VMI, after defaulting when
// defaults is true.
func runVMISpecCases(t *testing.T, cases []specCase, defaults bool) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			vmi := validVMI()
			tc.mutate(&vmi.Spec)
			if defaults {
				SetDefaultsVirtualMachineInstance(vmi)
			}
			assertErrors(t, ValidateVirtualMachineInstance(vmi), tc.want)
		})
	}
}

func quantity(s string) *resource.Quantity {
	q := resource.MustParse(s)
	return &q
}

func ptrTo[T any](v T) *T { return &v }

func intstrInt(v int32) intstr.IntOrString { return intstr.FromInt32(v) }
