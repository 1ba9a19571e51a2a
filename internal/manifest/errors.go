package manifest

import (
	"errors"
	"fmt"
	"net/http"
	"strings"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

// Error categories; test with errors.Is.
var (
	// ErrMalformed: the bytes are not valid YAML or JSON, or not an object.
	ErrMalformed = errors.New("malformed manifest")
	// ErrDuplicateKey: a YAML or JSON object repeats a key.
	ErrDuplicateKey = errors.New("duplicate key")
	// ErrUnknownKind: apiVersion/kind is missing or names no served kind.
	ErrUnknownKind = errors.New("unknown kind")
	// ErrStrict: the document's fields do not fit its kind (unknown or
	// duplicate fields, wrong value types). The error is a *StrictError.
	ErrStrict = errors.New("strict decoding failed")
)

// CauseTypeFieldValueUnknown is the cause type of an unknown field. It is
// vigil's own: Kubernetes reports unknown fields only as a text message.
const CauseTypeFieldValueUnknown metav1.CauseType = "FieldValueUnknown"

// FieldError is one problem with one field of a document. It prints as
// "<field>: <message>", e.g. "spec.template.spec.readinessProbe.httpGett:
// unknown field".
type FieldError struct {
	// Type is CauseTypeFieldValueUnknown, metav1.CauseTypeFieldValueDuplicate
	// or metav1.CauseTypeTypeInvalid.
	Type metav1.CauseType
	// Field is the JSON path from the document's root: "spec.volumes[0].name".
	Field   string
	Message string
}

func (e *FieldError) Error() string { return e.Field + ": " + e.Message }

// StrictError lists every field problem found in one document. It matches
// ErrStrict with errors.Is.
type StrictError struct {
	Errs []*FieldError
}

func (e *StrictError) Error() string {
	if len(e.Errs) == 1 {
		return e.Errs[0].Error()
	}
	msgs := make([]string, len(e.Errs))
	for i, fe := range e.Errs {
		msgs[i] = fe.Error()
	}
	return "[" + strings.Join(msgs, ", ") + "]"
}

// Is makes errors.Is(err, ErrStrict) true.
func (e *StrictError) Is(target error) bool { return target == ErrStrict }

// Causes gives one status cause per field problem, for a metav1.Status.
func (e *StrictError) Causes() []metav1.StatusCause {
	causes := make([]metav1.StatusCause, len(e.Errs))
	for i, fe := range e.Errs {
		causes[i] = metav1.StatusCause{Type: fe.Type, Message: fe.Message, Field: fe.Field}
	}
	return causes
}

// Status is the API server's answer to a body that does not decode
// strictly: 422 Unprocessable Entity, reason Invalid, one cause per field,
// shaped as apierrors.NewInvalid shapes validation failures.
func (e *StrictError) Status(qualifiedKind schema.GroupKind, name string) *apierrors.StatusError {
	return &apierrors.StatusError{ErrStatus: metav1.Status{
		Status:  metav1.StatusFailure,
		Code:    http.StatusUnprocessableEntity,
		Reason:  metav1.StatusReasonInvalid,
		Message: fmt.Sprintf("%s %q is invalid: %s", qualifiedKind.String(), name, e.Error()),
		Details: &metav1.StatusDetails{
			Group:  qualifiedKind.Group,
			Kind:   qualifiedKind.Kind,
			Name:   name,
			Causes: e.Causes(),
		},
	}}
}

// KindError says that a document's apiVersion/kind is missing or not served.
// It matches ErrUnknownKind with errors.Is.
type KindError struct {
	APIVersion, Kind string
	msg              string
}

func (e *KindError) Error() string { return e.msg }

// Is makes errors.Is(err, ErrUnknownKind) true.
func (e *KindError) Is(target error) bool { return target == ErrUnknownKind }

// DocumentError places a problem in a file: which document, which line.
type DocumentError struct {
	Index int // 0-based among the file's non-empty documents
	Line  int // 1-based line in the file where the document starts
	Err   error
}

func (e *DocumentError) Error() string {
	return fmt.Sprintf("%s: %v", describeDocument(e.Index, e.Line), e.Err)
}

func (e *DocumentError) Unwrap() error { return e.Err }

func describeDocument(index, line int) string {
	return fmt.Sprintf("document %d (line %d)", index+1, line)
}
