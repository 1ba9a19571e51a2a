package apiserver

import (
	"context"
	"errors"
	"fmt"
	"net/http"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/runtime"

	"vigil.dev/vigil/internal/registry"
)

// errModified is Kubernetes' wording for a stale resourceVersion; clients
// and users recognise it.
var errModified = errors.New("the object has been modified; please apply your changes to the latest version and try again")

// serveUpdate answers PUT of an object or of its status.
func (s *Server) serveUpdate(w http.ResponseWriter, r *http.Request, req request) {
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
	if err := checkIdentity(req, obj); err != nil {
		s.writeError(w, r, err)
		return
	}
	build := func(runtime.Object) (runtime.Object, error) { return obj.DeepCopyObject(), nil }
	out, warnings, err := s.updateWith(r.Context(), req, dryRun, build, s.trackUpdate(r, req))
	addWarnings(w, warnings)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	s.writeObject(w, req.res, http.StatusOK, out)
}

// checkIdentity refuses a body whose name or namespace is not the URL's
// (an empty namespace means the URL's).
func checkIdentity(req request, obj runtime.Object) error {
	m, err := meta.Accessor(obj)
	if err != nil {
		return apierrors.NewInternalError(err)
	}
	if m.GetName() != req.name {
		return apierrors.NewBadRequest(fmt.Sprintf("the name of the object (%s) does not match the name on the URL (%s)", m.GetName(), req.name))
	}
	if req.res.Namespaced {
		if ns := m.GetNamespace(); ns != "" && ns != req.namespace {
			return apierrors.NewBadRequest(fmt.Sprintf(
				"the namespace of the provided object (%s) does not match the namespace sent on the request (%s)", ns, req.namespace))
		}
		m.SetNamespace(req.namespace)
	}
	return nil
}

// update changes one stored object: build turns the current object into
// the wanted one, the registry's rules for the main resource or /status
// apply, and a resourceVersion in the wanted object must be the current
// one. The whole step runs inside the store's GuaranteedUpdate, so a
// refusal stores nothing. An object that is being deleted and has lost its
// last finalizer is removed afterwards. With dryRun nothing is stored.
func (s *Server) update(ctx context.Context, req request, dryRun bool,
	build func(current runtime.Object) (runtime.Object, error)) (runtime.Object, []string, error) {
	return s.updateWith(ctx, req, dryRun, build, nil)
}

// updateWith is update with a hook that runs on the wanted object once the
// registry's rules passed (they restore server-owned metadata, which the
// hook may then set: managedFields, for server-side apply).
func (s *Server) updateWith(ctx context.Context, req request, dryRun bool,
	build func(current runtime.Object) (runtime.Object, error),
	after func(obj, current runtime.Object)) (runtime.Object, []string, error) {
	var warnings []string
	try := func(current runtime.Object) (runtime.Object, error) {
		obj, err := build(current)
		if err != nil {
			return nil, err
		}
		if err := checkResourceVersion(req, obj, current); err != nil {
			return nil, err
		}
		if req.subresource == "status" {
			err = registry.BeforeStatusUpdate(req.res, obj, current)
		} else {
			warnings, err = registry.BeforeUpdate(req.res, obj, current)
			if err == nil {
				err = s.checkServiceUpdate(req.res, obj, current)
			}
		}
		if err == nil && after != nil {
			after(obj, current)
		}
		return obj, err
	}
	if dryRun {
		current := req.res.New()
		if err := s.cfg.Store.Get(ctx, req.res, req.namespace, req.name, current); err != nil {
			return nil, nil, err
		}
		obj, err := try(current)
		return obj, warnings, err
	}
	into := req.res.New()
	if err := s.cfg.Store.GuaranteedUpdate(ctx, req.res, req.namespace, req.name, into, try); err != nil {
		return nil, warnings, err
	}
	s.finishDeletion(ctx, req, into)
	return into, warnings, nil
}

// checkResourceVersion makes an update conditional on the resourceVersion
// the client sent (none means unconditional), then sets the current one so
// that the registry's metadata checks see a complete object.
func checkResourceVersion(req request, obj, current runtime.Object) error {
	m, err := meta.Accessor(obj)
	if err != nil {
		return apierrors.NewInternalError(err)
	}
	cm, err := meta.Accessor(current)
	if err != nil {
		return apierrors.NewInternalError(err)
	}
	if rv := m.GetResourceVersion(); rv != "" && rv != cm.GetResourceVersion() {
		return apierrors.NewConflict(req.res.GroupResource(), req.name, errModified)
	}
	m.SetResourceVersion(cm.GetResourceVersion())
	return nil
}

// finishDeletion removes an object that has a deletionTimestamp and no
// finalizers left, as Kubernetes does when the last finalizer goes. The
// delete is conditional on the revision just written: if someone changed
// the object since, their update finishes the job instead.
func (s *Server) finishDeletion(ctx context.Context, req request, obj runtime.Object) {
	m, err := meta.Accessor(obj)
	if err != nil || m.GetDeletionTimestamp() == nil || len(m.GetFinalizers()) > 0 {
		return
	}
	uid, rv := m.GetUID(), m.GetResourceVersion()
	into := req.res.New()
	err = s.cfg.Store.Delete(ctx, req.res, req.namespace, req.name, storePreconditions(&uid, &rv), into)
	switch {
	case err == nil:
		s.afterDelete(ctx, req, into, cascadeDependents)
	case apierrors.IsNotFound(err) || apierrors.IsConflict(err):
		// Already gone, or changed since: the later writer's update decides.
	default:
		s.log.Error("removing an object whose finalizers are done", "kind", req.res.Kind,
			"namespace", req.namespace, "name", req.name, "uid", uid, "err", err)
	}
}
