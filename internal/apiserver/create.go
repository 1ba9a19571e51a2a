package apiserver

import (
	"fmt"
	"math/rand/v2"
	"net/http"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"

	"vigil.dev/vigil/internal/registry"
)

const (
	// generateNameAttempts bounds the retries when a generated name is
	// taken (Kubernetes retries too, since 1.32).
	generateNameAttempts = 8
	// generatedSuffixLen and generatedNameMaxPrefix follow Kubernetes'
	// SimpleNameGenerator: five characters after a prefix cut to 58.
	generatedSuffixLen     = 5
	generatedNameMaxPrefix = 63 - generatedSuffixLen
	// nameAlphabet has no vowels (no words) and no look-alikes.
	nameAlphabet = "bcdfghjklmnpqrstvwxz2456789"
)

// serveCreate answers POST to a collection.
func (s *Server) serveCreate(w http.ResponseWriter, r *http.Request, req request) {
	dryRun, err := parseDryRun(r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	body, err := s.readBody(r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	obj, err := s.decodeWrite(w, r, req.res, body)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	m, err := meta.Accessor(obj)
	if err != nil {
		s.writeError(w, r, apierrors.NewInternalError(err))
		return
	}
	if req.res.Namespaced {
		if ns := m.GetNamespace(); ns != "" && ns != req.namespace {
			s.writeError(w, r, apierrors.NewBadRequest(fmt.Sprintf(
				"the namespace of the provided object (%s) does not match the namespace sent on the request (%s)", ns, req.namespace)))
			return
		}
		m.SetNamespace(req.namespace)
	}
	generated := m.GetName() == "" && m.GetGenerateName() != ""
	if generated {
		m.SetName(generateName(m.GetGenerateName()))
	}
	warnings, err := registry.BeforeCreate(req.res, obj, s.now())
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	addWarnings(w, warnings)
	releaseIP, err := s.assignClusterIP(r.Context(), req.res, obj, dryRun)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	defer releaseIP()
	if dryRun {
		s.writeObject(w, req.res, http.StatusCreated, obj)
		return
	}
	for attempt := 1; ; attempt++ {
		err = s.cfg.Store.Create(r.Context(), req.res, obj)
		if !generated || !apierrors.IsAlreadyExists(err) || attempt == generateNameAttempts {
			break
		}
		m.SetName(generateName(m.GetGenerateName()))
	}
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	s.writeObject(w, req.res, http.StatusCreated, obj)
}

// generateName appends five random characters to a prefix.
func generateName(prefix string) string {
	if len(prefix) > generatedNameMaxPrefix {
		prefix = prefix[:generatedNameMaxPrefix]
	}
	b := make([]byte, generatedSuffixLen)
	for i := range b {
		b[i] = nameAlphabet[rand.IntN(len(nameAlphabet))]
	}
	return prefix + string(b)
}

// parseDryRun accepts dryRun=All (validate, store nothing) and nothing
// else, as Kubernetes.
func parseDryRun(r *http.Request) (bool, error) {
	values := r.URL.Query()["dryRun"]
	for _, v := range values {
		if v != "All" {
			return false, apierrors.NewBadRequest(fmt.Sprintf("dryRun: unsupported value %q (supported: \"All\")", v))
		}
	}
	return len(values) > 0, nil
}
