package apiserver

import (
	"net/http"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

// vigil's namespaces are implicit: an object may be created in any of
// them, so every namespace exists and is Active. kubectl reads
// /api/v1/namespaces/NAME after an object's 404 to tell "no such object"
// from "no such namespace"; this answers it. Namespaces are not a served
// resource (not in discovery, not listable).

// serveNamespace answers GET /api/v1/namespaces/NAME and reports whether
// the path was that.
func (s *Server) serveNamespace(w http.ResponseWriter, r *http.Request, segs []string) bool {
	if len(segs) != 4 || segs[0] != "api" || segs[1] != "v1" || segs[2] != "namespaces" {
		return false
	}
	if err := checkPathSegment(segs[3]); err != nil {
		s.writeError(w, r, err)
		return true
	}
	if r.Method != http.MethodGet {
		s.writeError(w, r, apierrors.NewMethodNotSupported(schema.GroupResource{Resource: "namespaces"}, r.Method))
		return true
	}
	s.writeJSON(w, http.StatusOK, &corev1.Namespace{
		TypeMeta:   metav1.TypeMeta{Kind: "Namespace", APIVersion: "v1"},
		ObjectMeta: metav1.ObjectMeta{Name: segs[3]},
		Status:     corev1.NamespaceStatus{Phase: corev1.NamespaceActive},
	})
	return true
}
