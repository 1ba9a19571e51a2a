package client

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/url"
	"strings"
	"syscall"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

// statusError turns a non-2xx answer into an API error. A metav1.Status body
// is used as it is, so reasons, details and causes survive the trip.
func statusError(method string, code int, body []byte) error {
	var st metav1.Status
	if err := json.Unmarshal(body, &st); err == nil && looksLikeStatus(st) {
		if st.Code == 0 {
			st.Code = int32(code)
		}
		if st.Status == "" {
			st.Status = metav1.StatusFailure
		}
		if st.Reason == "" {
			st.Reason = apierrors.ReasonForError(apierrors.FromObject(&st))
		}
		return &apierrors.StatusError{ErrStatus: st}
	}
	msg := strings.TrimSpace(string(body))
	if len(msg) > 512 {
		msg = msg[:512] + "..."
	}
	return apierrors.NewGenericServerResponse(code, strings.ToLower(method), schema.GroupResource{}, "", msg, 0, false)
}

// looksLikeStatus accepts a Status even when the server left out its kind.
func looksLikeStatus(st metav1.Status) bool {
	if st.Kind == "Status" {
		return true
	}
	return st.Kind == "" && (st.Status == metav1.StatusFailure || st.Status == metav1.StatusSuccess) &&
		(st.Message != "" || st.Reason != "")
}

// transportError explains a failure to talk to the daemon at all.
func (c *Client) transportError(err error) error {
	switch {
	case errors.Is(err, context.Canceled):
		return err
	case errors.Is(err, context.DeadlineExceeded):
		return fmt.Errorf("request to the vigil daemon at %s timed out: %w", c.ep.display, err)
	}
	// Drop net/http's `Get "http://localhost/...":` prefix: the URL is an
	// artefact of the transport, the server address is named instead.
	inner := err
	var urlErr *url.Error
	if errors.As(err, &urlErr) {
		inner = urlErr.Err
	}
	var opErr *net.OpError
	if errors.As(inner, &opErr) {
		inner = opErr
	}
	hint := ""
	if errors.Is(err, syscall.ENOENT) || errors.Is(err, syscall.ECONNREFUSED) {
		hint = " (is `vigil serve` running?)"
	}
	return &UnreachableError{Server: c.ep.display, Err: inner, Hint: hint}
}

// UnreachableError is a failure to talk to the daemon at all (no socket,
// connection refused, TLS failure...), as opposed to an answer from it.
type UnreachableError struct {
	Server string
	Err    error
	Hint   string // " (is `vigil serve` running?)" when the daemon seems down
}

func (e *UnreachableError) Error() string {
	return fmt.Sprintf("cannot reach the vigil daemon at %s: %v%s", e.Server, e.Err, e.Hint)
}

func (e *UnreachableError) Unwrap() error { return e.Err }

// IsUnreachable reports whether err says the daemon could not be reached
// (including a request that timed out): retrying other requests at once is
// pointless.
func IsUnreachable(err error) bool {
	var ue *UnreachableError
	return errors.As(err, &ue) || errors.Is(err, context.DeadlineExceeded)
}
