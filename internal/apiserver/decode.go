package apiserver

import (
	"encoding/json"
	"errors"
	"fmt"
	"mime"
	"net/http"
	"strings"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"sigs.k8s.io/yaml"

	"vigil.dev/vigil/internal/resource"
)

// causer is the shape of a decoding error that knows which fields were
// wrong (unknown or duplicate fields); each cause becomes one cause of the
// 422 reply.
type causer interface {
	Causes() []metav1.StatusCause
}

// head is the part of a body read leniently before strict decoding, to
// check the kind and to name the object in errors.
type head struct {
	APIVersion string `json:"apiVersion"`
	Kind       string `json:"kind"`
	Metadata   struct {
		Name string `json:"name"`
	} `json:"metadata"`
}

// bodyJSON returns the body as JSON: JSON as it is, YAML converted.
func bodyJSON(r *http.Request, body []byte) ([]byte, error) {
	ct := r.Header.Get("Content-Type")
	if ct == "" {
		return body, nil
	}
	mt, _, err := mime.ParseMediaType(ct)
	if err != nil {
		return nil, errUnsupportedMediaType(ct, "application/json, application/yaml")
	}
	switch mt {
	case "application/json", "*/*":
		return body, nil
	case "application/yaml", "application/x-yaml", "text/yaml":
		out, err := yaml.YAMLToJSON(body)
		if err != nil {
			return nil, apierrors.NewBadRequest(fmt.Sprintf("the request body is not valid YAML: %v", err))
		}
		return out, nil
	}
	return nil, errUnsupportedMediaType(ct, "application/json, application/yaml")
}

// decodeJSON decodes a JSON object of res strictly: kind and apiVersion,
// when given, must be res's; unknown or duplicate fields are a 422 naming
// each field; malformed JSON is a 400. (decodeValidated relaxes it for
// fieldValidation=Warn and Ignore.)
func (s *Server) decodeJSON(res *resource.Info, data []byte) (runtime.Object, error) {
	var h head
	if err := json.Unmarshal(data, &h); err != nil {
		return nil, apierrors.NewBadRequest(fmt.Sprintf("the request body is not a valid JSON object: %v", err))
	}
	if h.APIVersion != "" && h.APIVersion != res.APIVersion() {
		return nil, apierrors.NewBadRequest(fmt.Sprintf("the API version in the data (%s) does not match the expected API version (%s)", h.APIVersion, res.APIVersion()))
	}
	if h.Kind != "" && h.Kind != res.Kind {
		return nil, apierrors.NewBadRequest(fmt.Sprintf("the kind in the data (%s) does not match the expected kind (%s)", h.Kind, res.Kind))
	}
	obj := res.New()
	if err := s.cfg.Decode(data, obj); err != nil {
		return nil, decodeError(res, h.Metadata.Name, err)
	}
	setTypeMeta(res, obj)
	return obj, nil
}

// decodeError maps a decoder failure to the reply: per-field causes give a
// 422 Invalid (one cause per field), anything else a 400.
func decodeError(res *resource.Info, name string, err error) error {
	var c causer
	if errors.As(err, &c) && len(c.Causes()) > 0 {
		return invalidFromCauses(res, name, c.Causes())
	}
	var se *apierrors.StatusError
	if errors.As(err, &se) {
		return se
	}
	return apierrors.NewBadRequest(fmt.Sprintf("decoding the %s: %v", res.Kind, err))
}

// invalidFromCauses builds the 422 reply apierrors.NewInvalid would build,
// from causes rather than a field.ErrorList.
func invalidFromCauses(res *resource.Info, name string, causes []metav1.StatusCause) error {
	gk := res.GroupVersionKind().GroupKind()
	parts := make([]string, len(causes))
	for i, c := range causes {
		parts[i] = c.Message
		if c.Field != "" && !strings.HasPrefix(c.Message, c.Field) {
			parts[i] = c.Field + ": " + c.Message
		}
	}
	msg := parts[0]
	if len(parts) > 1 {
		msg = "[" + strings.Join(parts, ", ") + "]"
	}
	return &apierrors.StatusError{ErrStatus: metav1.Status{
		Status: metav1.StatusFailure,
		Code:   http.StatusUnprocessableEntity,
		Reason: metav1.StatusReasonInvalid,
		Details: &metav1.StatusDetails{
			Group: gk.Group, Kind: gk.Kind, Name: name, Causes: causes,
		},
		Message: fmt.Sprintf("%s %q is invalid: %s", gk.String(), name, msg),
	}}
}
