package apiserver

import (
	"fmt"
	"net/http"
	"strings"

	apierrors "k8s.io/apimachinery/pkg/api/errors"

	v1 "vigil.dev/vigil/api/v1"
	"vigil.dev/vigil/internal/resource"
)

// request is a parsed resource path.
type request struct {
	res         *resource.Info
	namespace   string // "" for a cluster-wide collection
	name        string // "" for a collection
	subresource string // "", "status"
}

// route dispatches every request. Anything it cannot place gets a 404
// Status, never a bare text reply.
func (s *Server) route(w http.ResponseWriter, r *http.Request) {
	p := r.URL.Path
	switch p {
	case "/healthz", "/livez":
		s.serveLive(w, r)
		return
	case "/readyz":
		s.serveReady(w, r)
		return
	case "/version", "/version/":
		s.serveVersion(w, r)
		return
	case "/metrics":
		s.serveMetrics(w, r)
		return
	}
	if s.serveDiscovery(w, r) || s.serveOpenAPI(w, r) {
		return
	}
	segs, ok := splitPath(p)
	if !ok {
		s.writeError(w, r, errNoRoute())
		return
	}
	if len(segs) >= 3 && segs[0] == "apis" && segs[1] == v1.SubresourceGroupName && segs[2] == "v1" {
		if !s.serveVMISubresource(w, r, segs[3:]) && !s.servePause(w, r, segs[3:]) {
			s.serveKubeVirtSubresource(w, r, segs[3:])
		}
		return
	}
	if s.serveNamespace(w, r, segs) {
		return
	}
	req, err := parseResourcePath(segs)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	s.serveResource(w, r, req)
}

// splitPath splits a clean absolute path into segments. Empty segments
// ("//", a trailing "/") make the path invalid.
func splitPath(p string) ([]string, bool) {
	if !strings.HasPrefix(p, "/") || len(p) < 2 {
		return nil, false
	}
	segs := strings.Split(p[1:], "/")
	for _, s := range segs {
		if s == "" {
			return nil, false
		}
	}
	return segs, true
}

// parseResourcePath reads /api/v1/... and /apis/GROUP/VERSION/... paths:
//
//	PREFIX/RESOURCE                                cluster-wide collection
//	PREFIX/namespaces/NS/RESOURCE[/NAME[/SUB]]     namespaced collection, object, subresource
func parseResourcePath(segs []string) (request, error) {
	var group, version string
	var rest []string
	switch {
	case len(segs) >= 2 && segs[0] == "api":
		version, rest = segs[1], segs[2:]
	case len(segs) >= 3 && segs[0] == "apis":
		group, version, rest = segs[1], segs[2], segs[3:]
	default:
		return request{}, errNoRoute()
	}
	var req request
	if len(rest) >= 3 && rest[0] == "namespaces" {
		req.namespace, rest = rest[1], rest[2:]
	}
	if len(rest) == 0 || len(rest) > 3 {
		return request{}, errNoRoute()
	}
	res := findResource(group, version, rest[0])
	if res == nil {
		return request{}, errNoRoute()
	}
	req.res = res
	if len(rest) >= 2 {
		req.name = rest[1]
	}
	if len(rest) == 3 {
		req.subresource = rest[2]
	}
	if req.name != "" && req.namespace == "" && res.Namespaced {
		return request{}, errNoRoute()
	}
	for _, v := range []string{req.namespace, req.name} {
		if err := checkPathSegment(v); err != nil {
			return request{}, err
		}
	}
	return req, nil
}

// findResource matches a served resource by group, version and plural.
func findResource(group, version, plural string) *resource.Info {
	for _, r := range resource.All {
		if r.Group == group && r.Version == version && r.Resource == plural {
			return r
		}
	}
	return nil
}

// checkPathSegment refuses names that cannot be object names and that
// would be dangerous as store keys, as Kubernetes' IsValidPathSegmentName.
func checkPathSegment(v string) error {
	if v == "." || v == ".." || strings.ContainsAny(v, "%/\x00") {
		return apierrors.NewBadRequest(fmt.Sprintf("invalid name in path: %q", v))
	}
	return nil
}

// serveResource dispatches on the verb for a resource path.
func (s *Server) serveResource(w http.ResponseWriter, r *http.Request, req request) {
	switch {
	case req.subresource != "" && req.subresource != "status":
		s.writeError(w, r, apierrors.NewNotFound(req.res.GroupResource(), req.name+"/"+req.subresource))
	case req.subresource == "status" && !req.res.HasStatus:
		s.writeError(w, r, apierrors.NewNotFound(req.res.GroupResource(), req.name+"/status"))
	case req.name == "":
		s.serveCollection(w, r, req)
	default:
		s.serveObject(w, r, req)
	}
}

func (s *Server) serveCollection(w http.ResponseWriter, r *http.Request, req request) {
	switch r.Method {
	case http.MethodGet:
		if isWatch(r) {
			s.serveWatch(w, r, req)
			return
		}
		s.serveList(w, r, req)
	case http.MethodPost:
		if req.namespace == "" && req.res.Namespaced {
			s.writeError(w, r, apierrors.NewMethodNotSupported(req.res.GroupResource(), "create without a namespace"))
			return
		}
		s.serveCreate(w, r, req)
	default:
		s.writeError(w, r, apierrors.NewMethodNotSupported(req.res.GroupResource(), r.Method))
	}
}

func (s *Server) serveObject(w http.ResponseWriter, r *http.Request, req request) {
	switch r.Method {
	case http.MethodGet:
		if isWatch(r) && req.subresource == "" {
			s.serveWatch(w, r, req)
			return
		}
		s.serveGet(w, r, req)
	case http.MethodPut:
		s.serveUpdate(w, r, req)
	case http.MethodPatch:
		s.servePatch(w, r, req)
	case http.MethodDelete:
		if req.subresource != "" {
			s.writeError(w, r, apierrors.NewMethodNotSupported(req.res.GroupResource(), r.Method))
			return
		}
		s.serveDelete(w, r, req)
	default:
		s.writeError(w, r, apierrors.NewMethodNotSupported(req.res.GroupResource(), r.Method))
	}
}

func isWatch(r *http.Request) bool {
	v := r.URL.Query().Get("watch")
	return v == "true" || v == "1"
}
