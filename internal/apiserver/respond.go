package apiserver

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	utilnet "k8s.io/apimachinery/pkg/util/net"

	"vigil.dev/vigil/internal/resource"
)

// writeJSON writes v as the whole JSON reply.
func (s *Server) writeJSON(w http.ResponseWriter, code int, v any) {
	body, err := json.Marshal(v)
	if err != nil {
		s.log.Error("encoding a reply", "err", err, "type", fmt.Sprintf("%T", v))
		code = http.StatusInternalServerError
		body, _ = json.Marshal(statusOf(apierrors.NewInternalError(fmt.Errorf("encoding the reply: %w", err))))
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	_, _ = w.Write(append(body, '\n'))
}

// writeObject writes one object of res with its kind and apiVersion set.
func (s *Server) writeObject(w http.ResponseWriter, res *resource.Info, code int, obj runtime.Object) {
	setTypeMeta(res, obj)
	s.writeJSON(w, code, obj)
}

// setTypeMeta fills kind and apiVersion, which the store does not keep.
func setTypeMeta(res *resource.Info, obj runtime.Object) {
	obj.GetObjectKind().SetGroupVersionKind(res.GroupVersionKind())
}

// setListTypeMeta fills the list's kind and every item's.
func setListTypeMeta(res *resource.Info, list runtime.Object) error {
	list.GetObjectKind().SetGroupVersionKind(res.GroupVersionKind().GroupVersion().WithKind(res.ListKind))
	return meta.EachListItem(list, func(item runtime.Object) error {
		setTypeMeta(res, item)
		return nil
	})
}

// writeError replies with err as a metav1.Status. API errors keep their
// code; anything else is a 500 and is logged, since it is a bug or an
// outage rather than a client mistake.
func (s *Server) writeError(w http.ResponseWriter, r *http.Request, err error) {
	st := statusOf(err)
	if st.Code >= 500 {
		s.log.Error("request failed", "method", r.Method, "path", r.URL.Path, "code", st.Code, "err", err)
	}
	s.writeJSON(w, int(st.Code), st)
}

// statusOf turns any error into the Status a Kubernetes server would send.
func statusOf(err error) *metav1.Status {
	var apiStatus apierrors.APIStatus
	switch {
	case errors.As(err, &apiStatus):
		st := apiStatus.Status()
		if st.Code == 0 {
			st.Code = http.StatusInternalServerError
		}
		st.Kind, st.APIVersion = "Status", "v1"
		return &st
	case errors.Is(err, context.DeadlineExceeded):
		st := apierrors.NewTimeoutError(err.Error(), 0).Status()
		st.Kind, st.APIVersion = "Status", "v1"
		return &st
	default:
		st := apierrors.NewInternalError(err).Status()
		st.Kind, st.APIVersion = "Status", "v1"
		return &st
	}
}

// errNoRoute is the 404 for a path the server does not serve, worded as
// Kubernetes words it.
func errNoRoute() error {
	return &apierrors.StatusError{ErrStatus: metav1.Status{
		Status:  metav1.StatusFailure,
		Code:    http.StatusNotFound,
		Reason:  metav1.StatusReasonNotFound,
		Message: "the server could not find the requested resource",
	}}
}

// addWarnings sets one `Warning: 299 - "text"` header per warning.
func addWarnings(w http.ResponseWriter, warnings []string) {
	for _, text := range warnings {
		h, err := utilnet.NewWarningHeader(299, "-", text)
		if err == nil {
			w.Header().Add("Warning", h)
		}
	}
}

// errUnsupportedMediaType is the 415 for a body in a format the endpoint
// does not take.
func errUnsupportedMediaType(got, accepted string) error {
	return &apierrors.StatusError{ErrStatus: metav1.Status{
		Status: metav1.StatusFailure,
		Code:   http.StatusUnsupportedMediaType,
		Reason: metav1.StatusReasonUnsupportedMediaType,
		Message: fmt.Sprintf("the body of the request was in an unknown format (%q) - accepted media types include: %s",
			got, accepted),
	}}
}

func errUnexpectedType(obj runtime.Object) error {
	return fmt.Errorf("unexpected object type %T", obj)
}
