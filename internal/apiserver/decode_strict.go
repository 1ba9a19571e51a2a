package apiserver

import (
	"errors"
	"fmt"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	sigsjson "sigs.k8s.io/json"
)

// defaultDecode is the strict JSON decoder used when Config.Decode is nil:
// unknown and duplicate fields are reported per field (as Causes), with
// the field's full path.
func defaultDecode(body []byte, into runtime.Object) error {
	strict, err := sigsjson.UnmarshalStrict(body, into)
	if err != nil {
		return err
	}
	if len(strict) == 0 {
		return nil
	}
	return &strictError{errs: strict}
}

// strictError lists the strict-decoding failures of one body.
type strictError struct{ errs []error }

func (e *strictError) Error() string {
	return fmt.Sprintf("strict decoding error: %v", errors.Join(e.errs...))
}

// Causes gives one cause per bad field: "unknown field" or "duplicate field".
func (e *strictError) Causes() []metav1.StatusCause {
	causes := make([]metav1.StatusCause, 0, len(e.errs))
	for _, err := range e.errs {
		c := metav1.StatusCause{Type: metav1.CauseTypeFieldValueInvalid, Message: err.Error()}
		var fe sigsjson.FieldError
		if errors.As(err, &fe) {
			c.Field = fe.FieldPath()
			c.Type = metav1.CauseTypeFieldValueNotFound
			c.Message = c.Field + ": " + kindOfStrictError(err.Error())
		}
		causes = append(causes, c)
	}
	return causes
}

func kindOfStrictError(msg string) string {
	if len(msg) >= 9 && msg[:9] == "duplicate" {
		return "duplicate field"
	}
	return "unknown field"
}
