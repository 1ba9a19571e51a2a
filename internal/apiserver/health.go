package apiserver

import (
	"context"
	"fmt"
	"net/http"
	"runtime"
	"strings"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/version"
)

// Kubernetes version vigil reports: kubectl's dispatcher picks its bundled
// kubectl by the server's minor version, and this is the one vigil is
// tested against (docs/kubectl-notes.md).
const (
	kubeMajor   = "1"
	kubeMinor   = "33"
	kubeVersion = "v1.33.0"
)

// VersionInfo is the /version reply: Kubernetes' fields plus vigil's own.
type VersionInfo struct {
	version.Info
	// VigilVersion is vigil's own version.
	VigilVersion string `json:"vigilVersion"`
}

// Version builds the /version reply for a vigil version.
func Version(vigilVersion string) VersionInfo {
	if vigilVersion == "" {
		vigilVersion = "dev"
	}
	return VersionInfo{
		Info: version.Info{
			Major:      kubeMajor,
			Minor:      kubeMinor,
			GitVersion: kubeVersion + "-vigil." + strings.TrimPrefix(vigilVersion, "v"),
			GoVersion:  runtime.Version(),
			Compiler:   runtime.Compiler,
			Platform:   runtime.GOOS + "/" + runtime.GOARCH,
		},
		VigilVersion: vigilVersion,
	}
}

func (s *Server) serveVersion(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet {
		s.writeError(w, r, apierrors.NewMethodNotSupported(resourceless, r.Method))
		return
	}
	s.writeJSON(w, http.StatusOK, Version(s.cfg.Version))
}

// serveLive says the process serves requests.
func (s *Server) serveLive(w http.ResponseWriter, _ *http.Request) {
	writeText(w, http.StatusOK, "ok")
}

// serveReady says the store answers: a daemon whose etcd is gone is alive
// but cannot do anything useful.
func (s *Server) serveReady(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), readyTimeout)
	defer cancel()
	if _, err := s.cfg.Store.Revision(ctx); err != nil {
		s.log.Warn("not ready: the store does not answer", "err", err)
		writeText(w, http.StatusServiceUnavailable, fmt.Sprintf("[-]store failed: %v\nreadyz check failed", err))
		return
	}
	writeText(w, http.StatusOK, "ok")
}

func writeText(w http.ResponseWriter, code int, text string) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(code)
	_, _ = fmt.Fprint(w, text)
}
