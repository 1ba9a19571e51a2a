package apiserver

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"reflect"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"

	"vigil.dev/vigil/internal/manifest"
	"vigil.dev/vigil/internal/resource"
)

// fieldValidation is how a write treats unknown and duplicate fields, as
// Kubernetes' fieldValidation query parameter says. Strict is vigil's
// default (Kubernetes defaults to Warn): a manifest with a typo fails
// loudly, naming the field. kubectl sends the parameter explicitly.
type fieldValidation string

const (
	// validationStrict refuses the request (422) naming each field.
	validationStrict fieldValidation = "Strict"
	// validationWarn drops unknown fields (the last duplicate wins) and
	// says so in a Warning header per field.
	validationWarn fieldValidation = "Warn"
	// validationIgnore drops them silently.
	validationIgnore fieldValidation = "Ignore"
)

// parseFieldValidation reads ?fieldValidation=; absent means Strict.
func parseFieldValidation(r *http.Request) (fieldValidation, error) {
	switch v := fieldValidation(r.URL.Query().Get("fieldValidation")); v {
	case "":
		return validationStrict, nil
	case validationStrict, validationWarn, validationIgnore:
		return v, nil
	default:
		return "", apierrors.NewBadRequest(fmt.Sprintf(
			"fieldValidation: unsupported value %q (supported: Strict, Warn, Ignore)", v))
	}
}

// decodeWrite decodes the body of a create or update under the request's
// fieldValidation, and sends the warnings it produced.
func (s *Server) decodeWrite(w http.ResponseWriter, r *http.Request, res *resource.Info, body []byte) (runtime.Object, error) {
	policy, err := parseFieldValidation(r)
	if err != nil {
		return nil, err
	}
	data, err := bodyJSON(r, body)
	if err != nil {
		return nil, err
	}
	obj, warnings, err := s.decodeValidated(res, data, policy)
	addWarnings(w, warnings)
	return obj, err
}

// decodeValidated decodes a JSON object of res. Under Strict it is
// decodeJSON. Under Warn and Ignore, a document whose only faults are
// unknown or duplicate fields is decoded without them; the warnings name
// each field as Kubernetes does (`unknown field "spec.x"`). Wrong value
// types fail under every policy.
func (s *Server) decodeValidated(res *resource.Info, data []byte, policy fieldValidation) (runtime.Object, []string, error) {
	obj, err := s.decodeJSON(res, data)
	if err == nil || policy == validationStrict {
		return obj, nil, err
	}
	causes, tolerable := unknownFieldCauses(err)
	if !tolerable {
		return nil, nil, err
	}
	pruned, err := pruneUnknownFields(data, reflect.TypeOf(res.New()))
	if err != nil {
		return nil, nil, apierrors.NewBadRequest(fmt.Sprintf("the request body is not a valid JSON object: %v", err))
	}
	if obj, err = s.decodeJSON(res, pruned); err != nil {
		return nil, nil, err
	}
	if policy == validationIgnore {
		return obj, nil, nil
	}
	warnings := make([]string, 0, len(causes))
	for _, c := range causes {
		word := "unknown"
		if c.Type == metav1.CauseTypeFieldValueDuplicate {
			word = "duplicate"
		}
		warnings = append(warnings, fmt.Sprintf("%s field %q", word, c.Field))
	}
	return obj, warnings, nil
}

// unknownFieldCauses returns the causes of a decoding refusal when every
// one of them is an unknown or duplicate field.
func unknownFieldCauses(err error) ([]metav1.StatusCause, bool) {
	var se *apierrors.StatusError
	if !errors.As(err, &se) || se.ErrStatus.Reason != metav1.StatusReasonInvalid || se.ErrStatus.Details == nil {
		return nil, false
	}
	causes := se.ErrStatus.Details.Causes
	for _, c := range causes {
		if c.Type != manifest.CauseTypeFieldValueUnknown && c.Type != metav1.CauseTypeFieldValueDuplicate {
			return nil, false
		}
	}
	return causes, len(causes) > 0
}

// pruneUnknownFields re-encodes a JSON document without the fields the Go
// type does not have (the last of duplicate keys wins, as encoding/json
// reads them).
func pruneUnknownFields(data []byte, t reflect.Type) ([]byte, error) {
	var v any
	if err := json.Unmarshal(data, &v); err != nil {
		return nil, err
	}
	return json.Marshal(prune(v, t))
}

// prune drops, from a decoded JSON value, the object keys t has no field
// for, recursively. Types that decode themselves (opaqueTypes) and free
// values are kept whole.
func prune(v any, t reflect.Type) any {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if _, opaque := opaqueTypes[t]; opaque {
		return v
	}
	switch t.Kind() {
	case reflect.Struct:
		obj, ok := v.(map[string]any)
		if !ok {
			return v
		}
		fields := map[string]reflect.Type{}
		for _, f := range manifest.JSONFields(t) {
			fields[f.Name] = f.Type
		}
		for k, val := range obj {
			ft, known := fields[k]
			if !known {
				delete(obj, k)
				continue
			}
			obj[k] = prune(val, ft)
		}
	case reflect.Map:
		if obj, ok := v.(map[string]any); ok {
			for k, val := range obj {
				obj[k] = prune(val, t.Elem())
			}
		}
	case reflect.Slice, reflect.Array:
		if items, ok := v.([]any); ok {
			for i, item := range items {
				items[i] = prune(item, t.Elem())
			}
		}
	}
	return v
}
