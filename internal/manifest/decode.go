package manifest

import (
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strings"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	sjson "sigs.k8s.io/json"

	"vigil.dev/vigil/internal/resource"
)

// Decode reads a document's apiVersion and kind, finds the served kind
// (internal/resource) and decodes the document strictly into a new object
// of its Go type. A missing or unknown kind is a *KindError; fields that do
// not fit are a *StrictError listing all of them.
func Decode(doc []byte) (runtime.Object, *resource.Info, error) {
	tm, err := peekTypeMeta(doc)
	if err != nil {
		return nil, nil, err
	}
	info, err := lookupKind(tm.APIVersion, tm.Kind)
	if err != nil {
		return nil, nil, err
	}
	obj := info.New()
	if err := unmarshalStrict(doc, obj); err != nil {
		return nil, nil, err
	}
	return obj, info, nil
}

// DecodeInto decodes a document strictly into the given object (the API
// server decodes a PUT body into the kind its URL names). The object is
// reset first. When its type is a served kind, the document's apiVersion
// and kind must name that kind if present, and are filled in if absent.
func DecodeInto(doc []byte, into runtime.Object) error {
	tm, err := peekTypeMeta(doc)
	if err != nil {
		return err
	}
	info := infoForObject(into)
	if info != nil && (tm.APIVersion != "" || tm.Kind != "") &&
		(tm.APIVersion != info.APIVersion() || tm.Kind != info.Kind) {
		return &KindError{APIVersion: tm.APIVersion, Kind: tm.Kind, msg: fmt.Sprintf(
			"the document is kind %q of apiVersion %q, but a %s of apiVersion %q is expected here",
			tm.Kind, tm.APIVersion, info.Kind, info.APIVersion())}
	}
	v := reflect.ValueOf(into).Elem()
	v.Set(reflect.Zero(v.Type()))
	if err := unmarshalStrict(doc, into); err != nil {
		return err
	}
	if info != nil {
		into.GetObjectKind().SetGroupVersionKind(info.GroupVersionKind())
	}
	return nil
}

type typeMeta struct {
	APIVersion string
	Kind       string
}

// peekTypeMeta reads apiVersion and kind, leniently: the strict pass that
// follows reports everything else.
func peekTypeMeta(doc []byte) (typeMeta, error) {
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(doc, &fields); err != nil {
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) {
			return typeMeta{}, fmt.Errorf("%w: a manifest must be an object with apiVersion and kind, not %s",
				ErrMalformed, jsonKind(doc[len(doc)-len(strings.TrimLeft(string(doc), " \t\r\n")):]))
		}
		return typeMeta{}, fmt.Errorf("%w: %v", ErrMalformed, err)
	}
	var tm typeMeta
	var errs []*FieldError
	for _, f := range []struct {
		name string
		dst  *string
	}{{"apiVersion", &tm.APIVersion}, {"kind", &tm.Kind}} {
		raw, ok := fields[f.name]
		if !ok || string(raw) == "null" {
			continue
		}
		if err := json.Unmarshal(raw, f.dst); err != nil {
			errs = append(errs, &FieldError{Type: metav1.CauseTypeTypeInvalid, Field: f.name,
				Message: "expected a string, got " + describeJSON(raw)})
		}
	}
	if len(errs) > 0 {
		return typeMeta{}, &StrictError{Errs: errs}
	}
	return tm, nil
}

// lookupKind finds the served kind, or explains which kinds there are.
func lookupKind(apiVersion, kind string) (*resource.Info, error) {
	if info, ok := resource.ForKind(apiVersion, kind); ok {
		return info, nil
	}
	kerr := &KindError{APIVersion: apiVersion, Kind: kind}
	switch {
	case kind == "":
		kerr.msg = "the document has no kind: every document needs apiVersion and kind; known kinds are " + knownKinds()
	case kindServedAs(kind) != "" && apiVersion == "":
		kerr.msg = fmt.Sprintf("the document has no apiVersion: kind %q is served as apiVersion %q",
			kind, kindServedAs(kind))
	case kindServedAs(kind) != "":
		kerr.msg = fmt.Sprintf("no kind %q is registered for version %q: %s is served as apiVersion %q",
			kind, apiVersion, kind, kindServedAs(kind))
	default:
		kerr.msg = fmt.Sprintf("no kind %q is registered for version %q: known kinds are %s",
			kind, apiVersion, knownKinds())
	}
	return nil, kerr
}

func kindServedAs(kind string) string {
	for _, r := range resource.All {
		if r.Kind == kind {
			return r.APIVersion()
		}
	}
	return ""
}

// knownKinds lists the served kinds grouped by apiVersion, in table order:
// "VirtualMachine, VirtualMachineInstance (kubevirt.io/v1); Service, Endpoints, Event (v1)".
func knownKinds() string {
	var groups []string
	kinds := map[string][]string{}
	for _, r := range resource.All {
		av := r.APIVersion()
		if _, seen := kinds[av]; !seen {
			groups = append(groups, av)
		}
		kinds[av] = append(kinds[av], r.Kind)
	}
	parts := make([]string, len(groups))
	for i, av := range groups {
		parts[i] = fmt.Sprintf("%s (%s)", strings.Join(kinds[av], ", "), av)
	}
	return strings.Join(parts, "; ")
}

// infoForObject finds the served kind or list kind of an object's Go type.
func infoForObject(obj runtime.Object) *resource.Info {
	t := reflect.TypeOf(obj)
	for _, r := range resource.All {
		if reflect.TypeOf(r.New()) == t || reflect.TypeOf(r.NewList()) == t {
			return r
		}
	}
	return nil
}

// unmarshalStrict decodes case-sensitively and reports unknown and
// duplicate fields. When a value has the wrong type, the decoder stops
// early and names Go types; the document is then checked against the Go
// type by checkTypes, which reports every wrong value and unknown field
// with its JSON path.
func unmarshalStrict(doc []byte, into any) error {
	strictErrs, err := sjson.UnmarshalStrict(doc, into)
	if err != nil {
		if ok, off := sjson.SyntaxErrorOffset(err); ok {
			return fmt.Errorf("%w: %v (at byte %d)", ErrMalformed, err, off)
		}
		errs := checkTypes(doc, reflect.TypeOf(into))
		if len(errs) == 0 { // the checker and the decoder disagree: say what the decoder said
			errs = []*FieldError{{Type: metav1.CauseTypeTypeInvalid, Field: typeErrorField(err), Message: err.Error()}}
		}
		return &StrictError{Errs: errs}
	}
	if len(strictErrs) == 0 {
		return nil
	}
	errs := make([]*FieldError, 0, len(strictErrs))
	for _, se := range strictErrs {
		fe := &FieldError{Type: CauseTypeFieldValueUnknown, Message: "unknown field"}
		if strings.HasPrefix(se.Error(), "duplicate field") {
			fe.Type, fe.Message = metav1.CauseTypeFieldValueDuplicate, "duplicate field"
		}
		if pe, ok := se.(sjson.FieldError); ok {
			fe.Field = pe.FieldPath()
		}
		errs = append(errs, fe)
	}
	// Sorted by path, like checkTypes' report: YAML documents arrive with
	// their keys sorted anyway, and a stable order keeps messages comparable.
	slices.SortStableFunc(errs, func(a, b *FieldError) int { return strings.Compare(a.Field, b.Field) })
	return &StrictError{Errs: errs}
}

func typeErrorField(err error) string {
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		return te.Field
	}
	return ""
}
