package v1

import (
	"fmt"
	"slices"
	"strings"

	apivalidation "k8s.io/apimachinery/pkg/api/validation"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	metav1validation "k8s.io/apimachinery/pkg/apis/meta/v1/validation"
	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

// Validation reports every problem it finds, never only the first, each with
// the full path of the field from the object's root (under
// spec.template.spec for a VM). It is meant to run after defaulting, but
// where a rule depends on a default (probe timing, HTTP scheme, watchdog
// action) it judges the value defaulting would give, so the result is the
// same either way.

// Messages KubeVirt uses, kept word for word so users find them in its docs.
const (
	runningAndRunStrategyMessage = "Running and RunStrategy are mutually exclusive. " +
		"Note that Running is deprecated, please use RunStrategy instead"
	// RunningDeprecatedWarning is returned as a warning whenever spec.running is set.
	RunningDeprecatedWarning = "spec.running is deprecated, please use spec.runStrategy instead."
)

// ValidateVirtualMachine checks a VM: its metadata, running/runStrategy and
// its template. Warnings are advice that does not block the request (today
// only the deprecation of spec.running).
func ValidateVirtualMachine(vm *VirtualMachine) (errs field.ErrorList, warnings []string) {
	errs = ValidateObjectMetaName(&vm.ObjectMeta, true, field.NewPath("metadata"))
	specPath := field.NewPath("spec")
	errs = append(errs, validateRunStrategy(&vm.Spec, specPath)...)
	if vm.Spec.Running != nil {
		warnings = append(warnings, RunningDeprecatedWarning)
	}
	tmpl := vm.Spec.Template
	if tmpl == nil {
		errs = append(errs, field.Required(specPath.Child("template"),
			"a VirtualMachine needs a template: the metadata and spec of the VirtualMachineInstance it runs"))
		return errs, warnings
	}
	tmplPath := specPath.Child("template")
	errs = append(errs, validateLabelsAndAnnotations(&tmpl.ObjectMeta, tmplPath.Child("metadata"))...)
	errs = append(errs, validateVMISpec(&tmpl.Spec, tmplPath.Child("spec"))...)
	return errs, warnings
}

// ValidateVirtualMachineUpdate checks a changed VM with the same rules as a
// new one. Name and namespace immutability is the API server's business.
func ValidateVirtualMachineUpdate(newVM, oldVM *VirtualMachine) (field.ErrorList, []string) {
	_ = oldVM // every VM field may change; kept for symmetry with the VMI
	return ValidateVirtualMachine(newVM)
}

// ValidateVirtualMachineInstance checks a VMI: its metadata and its spec.
func ValidateVirtualMachineInstance(vmi *VirtualMachineInstance) field.ErrorList {
	errs := ValidateObjectMetaName(&vmi.ObjectMeta, true, field.NewPath("metadata"))
	return append(errs, validateVMISpec(&vmi.Spec, field.NewPath("spec"))...)
}

// ValidateObjectMetaName checks the parts of an object's metadata a user
// writes: the name (required, a DNS subdomain), the namespace (a DNS label;
// empty on a namespaced object means "the request's namespace", which the
// API server fills in; it must stay empty on a cluster-scoped one), labels
// and annotations. generateName is for the API server to turn into a name
// before it validates.
func ValidateObjectMetaName(meta *metav1.ObjectMeta, namespaced bool, fldPath *field.Path) field.ErrorList {
	var errs field.ErrorList
	namePath := fldPath.Child("name")
	if meta.Name == "" {
		errs = append(errs, field.Required(namePath,
			"a name is required: a lowercase RFC 1123 subdomain such as 'my-vm'"))
	} else {
		errs = append(errs, invalidIf(namePath, meta.Name, validation.IsDNS1123Subdomain(meta.Name))...)
	}
	nsPath := fldPath.Child("namespace")
	switch {
	case !namespaced && meta.Namespace != "":
		errs = append(errs, field.Forbidden(nsPath, "not allowed on a cluster-scoped object"))
	case meta.Namespace != "":
		errs = append(errs, invalidIf(nsPath, meta.Namespace, validation.IsDNS1123Label(meta.Namespace))...)
	}
	return append(errs, validateLabelsAndAnnotations(meta, fldPath)...)
}

func validateLabelsAndAnnotations(meta *metav1.ObjectMeta, fldPath *field.Path) field.ErrorList {
	errs := metav1validation.ValidateLabels(meta.Labels, fldPath.Child("labels"))
	return append(errs, apivalidation.ValidateAnnotations(meta.Annotations, fldPath.Child("annotations"))...)
}

func validateRunStrategy(spec *VirtualMachineSpec, specPath *field.Path) field.ErrorList {
	var errs field.ErrorList
	if spec.Running != nil && spec.RunStrategy != nil {
		errs = append(errs, field.Invalid(specPath.Child("running"), *spec.Running, runningAndRunStrategyMessage))
	}
	if rs := spec.RunStrategy; rs != nil && !slices.Contains(RunStrategies, *rs) {
		errs = append(errs, &field.Error{
			Type:     field.ErrorTypeNotSupported,
			Field:    specPath.Child("runStrategy").String(),
			BadValue: string(*rs),
			Detail:   fmt.Sprintf("Invalid RunStrategy (%s); supported values: %s", *rs, quoteAll(RunStrategies)),
		})
	}
	return errs
}

// invalidIf turns the messages of an apimachinery "Is..." check into one
// Invalid error, or none when the check passed.
func invalidIf(path *field.Path, value any, msgs []string) field.ErrorList {
	if len(msgs) == 0 {
		return nil
	}
	return field.ErrorList{field.Invalid(path, value, strings.Join(msgs, "; "))}
}

// validateDNSLabelName checks a required name that must be a DNS label
// (volume and watchdog names: they become device ids in QEMU).
func validateDNSLabelName(path *field.Path, name string) field.ErrorList {
	if name == "" {
		return field.ErrorList{field.Required(path, "")}
	}
	return invalidIf(path, name, validation.IsDNS1123Label(name))
}

// nonNegative reports a negative value of a count or a number of seconds.
func nonNegative(path *field.Path, v int64) field.ErrorList {
	if v >= 0 {
		return nil
	}
	return field.ErrorList{field.Invalid(path, v, "must be greater than or equal to 0")}
}

// nameSet remembers names already seen in a list so that repeats are reported.
type nameSet map[string]bool

// duplicate records name and reports whether it was seen before. Empty
// names are never duplicates: they are reported as missing instead.
func (s nameSet) duplicate(name string) bool {
	if name == "" {
		return false
	}
	seen := s[name]
	s[name] = true
	return seen
}

// sortedKeys lists the names of a set in order, for messages that list the
// valid choices.
func (s nameSet) sortedKeys() []string {
	keys := make([]string, 0, len(s))
	for k := range s {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

func quoteAll[T ~string](values []T) string {
	quoted := make([]string, len(values))
	for i, v := range values {
		quoted[i] = fmt.Sprintf("%q", string(v))
	}
	return strings.Join(quoted, ", ")
}
