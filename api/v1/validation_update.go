package v1

import (
	"reflect"
	"strings"

	"k8s.io/apimachinery/pkg/api/equality"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

const (
	probeImmutableMessage = "cannot be updated on a running VMI"
	specImmutableMessage  = "field is immutable: the spec of a VirtualMachineInstance cannot change once it is created; " +
		"change the VirtualMachine's template and restart it instead"
)

// ValidateVirtualMachineInstanceUpdate checks a changed VMI. Its spec is
// immutable, as in KubeVirt: each changed top-level spec field is reported
// (probes with KubeVirt's "cannot be updated on a running VMI"). Labels and
// annotations may change and are validated. Both objects are expected to be
// defaulted, so that defaulting alone never looks like a change. Name and
// namespace immutability is the API server's business.
func ValidateVirtualMachineInstanceUpdate(newVMI, oldVMI *VirtualMachineInstance) field.ErrorList {
	errs := ValidateObjectMetaName(&newVMI.ObjectMeta, true, field.NewPath("metadata"))
	return append(errs, specChanges(&newVMI.Spec, &oldVMI.Spec, field.NewPath("spec"))...)
}

// specChanges reports each top-level field of the VMI spec that differs.
// It walks the struct's fields so that a field added to the type later is
// immutable too without anyone remembering to list it here.
func specChanges(newSpec, oldSpec *VirtualMachineInstanceSpec, p *field.Path) field.ErrorList {
	var errs field.ErrorList
	nv, ov := reflect.ValueOf(newSpec).Elem(), reflect.ValueOf(oldSpec).Elem()
	t := nv.Type()
	for i := 0; i < t.NumField(); i++ {
		if equality.Semantic.DeepEqual(nv.Field(i).Interface(), ov.Field(i).Interface()) {
			continue
		}
		name := jsonName(t.Field(i))
		msg := specImmutableMessage
		if name == "readinessProbe" || name == "livenessProbe" {
			msg = probeImmutableMessage
		}
		errs = append(errs, field.Forbidden(p.Child(name), msg))
	}
	return errs
}

// jsonName is the field's name in JSON: its tag name, or the Go name.
func jsonName(f reflect.StructField) string {
	name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
	if name == "" {
		return f.Name
	}
	return name
}
