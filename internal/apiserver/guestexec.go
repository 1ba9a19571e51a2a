package apiserver

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"reflect"
	"strings"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/validation/field"

	v1 "vigil.dev/vigil/api/v1"
)

const (
	// DefaultGuestExecTimeout is how long a guest command may run when the
	// request names no timeoutSeconds.
	DefaultGuestExecTimeout = 30 * time.Second
	// maxGuestExecSeconds bounds timeoutSeconds: a request that holds an
	// HTTP exchange open longer than an hour is a mistake, not a command.
	maxGuestExecSeconds = 3600
)

// guestExecKind names the request body in Invalid errors.
var guestExecKind = schema.GroupKind{Group: v1.SubresourceGroupName, Kind: "GuestExecRequest"}

// GuestExecRequest is the body of POST .../virtualmachineinstances/NAME/guestexec.
type GuestExecRequest struct {
	// Command is the program and its arguments, run without a shell.
	Command []string `json:"command"`
	// TimeoutSeconds bounds the run; 0 means DefaultGuestExecTimeout.
	TimeoutSeconds int64 `json:"timeoutSeconds,omitempty"`
}

// serveGuestExec runs a command in the guest and answers 200 with its
// result, whatever its exit code: a failing command is the command's
// result, not an API error.
func (s *Server) serveGuestExec(w http.ResponseWriter, r *http.Request, ns, name string) {
	if r.Method != http.MethodPost {
		s.writeError(w, r, methodNotAllowed(r.Method, "guestexec"))
		return
	}
	body, err := s.readBody(r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	req, err := decodeGuestExec(body, name)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	timeout := DefaultGuestExecTimeout
	if req.TimeoutSeconds > 0 {
		timeout = time.Duration(req.TimeoutSeconds) * time.Second
	}
	s.log.Debug("guest exec", "vmi", vmiKey(ns, name), "command", req.Command[0], "timeout", timeout)
	res, err := s.cfg.Node.GuestExec(r.Context(), ns, name, req.Command, timeout)
	if err == nil && res == nil {
		err = apierrors.NewInternalError(fmt.Errorf("the node agent returned no result for VMI %q", name))
	}
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	s.writeJSON(w, http.StatusOK, res)
}

// decodeGuestExec reads and checks a GuestExecRequest strictly: malformed
// JSON is a 400, a wrong type or an unknown field a 422 naming the field.
func decodeGuestExec(body []byte, name string) (*GuestExecRequest, error) {
	var req GuestExecRequest
	if len(bytes.TrimSpace(body)) > 0 {
		dec := json.NewDecoder(bytes.NewReader(body))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&req); err != nil {
			return nil, guestExecDecodeError(err, name)
		}
		if dec.More() {
			return nil, apierrors.NewBadRequest("the guest exec request body holds more than one JSON value")
		}
	}
	if errs := validateGuestExec(&req); len(errs) > 0 {
		return nil, apierrors.NewInvalid(guestExecKind, name, errs)
	}
	return &req, nil
}

// guestExecDecodeError turns a decoding failure into an API error that
// names the field when there is one.
func guestExecDecodeError(err error, name string) error {
	var typeErr *json.UnmarshalTypeError
	if errors.As(err, &typeErr) && typeErr.Field != "" {
		msg := fmt.Sprintf("must be %s, not %s", jsonTypeName(typeErr.Type), typeErr.Value)
		return apierrors.NewInvalid(guestExecKind, name, field.ErrorList{
			field.Invalid(field.NewPath(typeErr.Field), typeErr.Value, msg)})
	}
	if f, ok := strings.CutPrefix(err.Error(), "json: unknown field "); ok {
		return apierrors.NewInvalid(guestExecKind, name, field.ErrorList{
			field.NotSupported(field.NewPath(strings.Trim(f, `"`)), nil, []string{"command", "timeoutSeconds"})})
	}
	return apierrors.NewBadRequest("the guest exec request body is not valid JSON: " + err.Error())
}

// jsonTypeName says what JSON value a Go type is decoded from.
func jsonTypeName(t reflect.Type) string {
	switch t.Kind() {
	case reflect.Slice, reflect.Array:
		return "an array"
	case reflect.String:
		return "a string"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "an integer"
	case reflect.Struct, reflect.Map:
		return "an object"
	default:
		return t.String()
	}
}

// validateGuestExec checks the command and the timeout.
func validateGuestExec(req *GuestExecRequest) field.ErrorList {
	var errs field.ErrorList
	cmd := field.NewPath("command")
	switch {
	case len(req.Command) == 0:
		errs = append(errs, field.Required(cmd, "the program to run and its arguments"))
	case req.Command[0] == "":
		errs = append(errs, field.Invalid(cmd.Index(0), "", "the program name must not be empty"))
	}
	timeout := field.NewPath("timeoutSeconds")
	switch {
	case req.TimeoutSeconds < 0:
		errs = append(errs, field.Invalid(timeout, req.TimeoutSeconds, "must not be negative"))
	case req.TimeoutSeconds > maxGuestExecSeconds:
		errs = append(errs, field.Invalid(timeout, req.TimeoutSeconds, fmt.Sprintf("must be at most %d", maxGuestExecSeconds)))
	}
	return errs
}
