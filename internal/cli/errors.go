package cli

import (
	"errors"
	"fmt"
	"strings"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// formatError renders an error the way kubectl prints it. context, when
// set, says what was being done (`error when creating "vm.yaml"`).
//
// An Invalid answer lists one cause per line:
//
//	The VirtualMachine "x" is invalid:
//	* spec.template.spec.readinessProbe.periodSeconds: Invalid value: 10: must be greater than timeoutSeconds (10)
func formatError(err error, context string) string {
	var se *apierrors.StatusError
	if !errors.As(err, &se) {
		if context != "" {
			return fmt.Sprintf("error: %s: %v", context, err)
		}
		return fmt.Sprintf("error: %v", err)
	}
	st := se.ErrStatus
	if st.Reason == metav1.StatusReasonInvalid && st.Details != nil && st.Details.Kind != "" && len(st.Details.Causes) > 0 {
		return formatInvalid(st.Details)
	}
	msg := st.Message
	if msg == "" {
		msg = se.Error()
	}
	if context != "" {
		msg = context + ": " + msg
	}
	if st.Reason == "" || st.Reason == metav1.StatusReasonUnknown {
		return "Error from server: " + msg
	}
	return fmt.Sprintf("Error from server (%s): %s", st.Reason, msg)
}

func formatInvalid(d *metav1.StatusDetails) string {
	var b strings.Builder
	fmt.Fprintf(&b, "The %s %q is invalid: ", d.Kind, d.Name)
	for _, c := range d.Causes {
		b.WriteString("\n* ")
		if c.Field != "" {
			b.WriteString(c.Field + ": ")
		}
		b.WriteString(c.Message)
	}
	return b.String()
}
