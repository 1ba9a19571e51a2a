package apiserver

import (
	"fmt"
	"net/http"
	"strconv"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/runtime"

	"vigil.dev/vigil/internal/store"
)

// serveGet answers GET of an object (or of its status subresource, which
// is the whole object, as in Kubernetes).
func (s *Server) serveGet(w http.ResponseWriter, r *http.Request, req request) {
	obj := req.res.New()
	if err := s.cfg.Store.Get(r.Context(), req.res, req.namespace, req.name, obj); err != nil {
		s.writeError(w, r, err)
		return
	}
	if s.respondTable(w, r, req.res, obj, nil) {
		return
	}
	s.writeObject(w, req.res, http.StatusOK, obj)
}

// serveList answers GET of a collection: selectors are applied here,
// limit and continue are the store's.
func (s *Server) serveList(w http.ResponseWriter, r *http.Request, req request) {
	sel, err := parseSelector(r, req)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	opts, err := parseListOptions(r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	list := req.res.NewList()
	if err := s.cfg.Store.List(r.Context(), req.res, req.namespace, opts, list); err != nil {
		s.writeError(w, r, err)
		return
	}
	if err := filterList(req, sel, list); err != nil {
		s.writeError(w, r, apierrors.NewInternalError(err))
		return
	}
	if err := setListTypeMeta(req.res, list); err != nil {
		s.writeError(w, r, apierrors.NewInternalError(err))
		return
	}
	if s.respondTable(w, r, req.res, nil, list) {
		return
	}
	s.writeJSON(w, http.StatusOK, list)
}

// filterList keeps the items sel selects.
func filterList(req request, sel selector, list runtime.Object) error {
	if sel.empty() {
		return nil
	}
	items, err := meta.ExtractList(list)
	if err != nil {
		return fmt.Errorf("reading the %s list: %w", req.res.Kind, err)
	}
	kept := make([]runtime.Object, 0, len(items))
	for _, it := range items {
		if sel.matches(req.res, it) {
			kept = append(kept, it)
		}
	}
	return meta.SetList(list, kept)
}

func parseListOptions(r *http.Request) (store.ListOptions, error) {
	q := r.URL.Query()
	opts := store.ListOptions{Continue: q.Get("continue")}
	if v := q.Get("limit"); v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n < 0 {
			return opts, apierrors.NewBadRequest(fmt.Sprintf("limit: %q is not a non-negative integer", v))
		}
		opts.Limit = n
	}
	return opts, nil
}
