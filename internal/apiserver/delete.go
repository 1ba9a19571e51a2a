package apiserver

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"

	"vigil.dev/vigil/internal/store"
)

// deleteAttempts bounds the retries of a delete that races with updates.
const deleteAttempts = 5

// cascade says whether a VM's delete also deletes the VMIs it controls.
type cascade bool

const (
	cascadeDependents cascade = true
	orphanDependents  cascade = false
)

// serveDelete answers DELETE of an object. An object with finalizers is
// only marked (deletionTimestamp); its last finalizer's removal deletes it.
func (s *Server) serveDelete(w http.ResponseWriter, r *http.Request, req request) {
	dryRun, err := parseDryRun(r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	opts, err := s.deleteOptions(r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	casc := cascadeDependents
	if opts.PropagationPolicy != nil && *opts.PropagationPolicy == metav1.DeletePropagationOrphan ||
		opts.OrphanDependents != nil && *opts.OrphanDependents {
		casc = orphanDependents
	}
	var obj runtime.Object
	for attempt := 1; ; attempt++ {
		obj, err = s.deleteOnce(r.Context(), req, opts, dryRun, casc)
		if !errRetryDelete(err) || attempt == deleteAttempts {
			break
		}
	}
	if err != nil {
		s.writeError(w, r, unwrapRetry(err))
		return
	}
	s.writeObject(w, req.res, http.StatusOK, obj)
}

// retryDelete marks a conflict caused by a concurrent change, not by the
// client's preconditions.
type retryDelete struct{ err error }

func (e *retryDelete) Error() string { return e.err.Error() }
func (e *retryDelete) Unwrap() error { return e.err }

func errRetryDelete(err error) bool {
	_, ok := err.(*retryDelete)
	return ok
}

func unwrapRetry(err error) error {
	if rd, ok := err.(*retryDelete); ok {
		return rd.err
	}
	return err
}

// deleteOnce reads the object, checks the client's preconditions, and
// either marks it (finalizers) or deletes it conditionally on the revision
// read, so that a finalizer added meanwhile is never skipped.
func (s *Server) deleteOnce(ctx context.Context, req request, opts *metav1.DeleteOptions, dryRun bool, casc cascade) (runtime.Object, error) {
	current := req.res.New()
	if err := s.cfg.Store.Get(ctx, req.res, req.namespace, req.name, current); err != nil {
		return nil, err
	}
	m, err := meta.Accessor(current)
	if err != nil {
		return nil, apierrors.NewInternalError(err)
	}
	if err := checkDeletePreconditions(req, opts.Preconditions, m); err != nil {
		return nil, err
	}
	if dryRun {
		return current, nil
	}
	if len(m.GetFinalizers()) > 0 {
		return s.markDeleted(ctx, req, opts, m)
	}
	uid, rv := m.GetUID(), m.GetResourceVersion()
	into := req.res.New()
	err = s.cfg.Store.Delete(ctx, req.res, req.namespace, req.name, storePreconditions(&uid, &rv), into)
	if apierrors.IsConflict(err) {
		return nil, &retryDelete{err: err}
	}
	if err != nil {
		return nil, err
	}
	s.afterDelete(ctx, req, into, casc)
	return into, nil
}

// markDeleted sets deletionTimestamp and deletionGracePeriodSeconds on an
// object that has finalizers (once: a second delete changes nothing).
func (s *Server) markDeleted(ctx context.Context, req request, opts *metav1.DeleteOptions, read metav1.Object) (runtime.Object, error) {
	into := req.res.New()
	err := s.cfg.Store.GuaranteedUpdate(ctx, req.res, req.namespace, req.name, into, func(current runtime.Object) (runtime.Object, error) {
		m, err := meta.Accessor(current)
		if err != nil {
			return nil, apierrors.NewInternalError(err)
		}
		if m.GetUID() != read.GetUID() {
			return nil, &retryDelete{err: apierrors.NewConflict(req.res.GroupResource(), req.name, errModified)}
		}
		if m.GetDeletionTimestamp() != nil {
			return current, nil
		}
		now := metav1.NewTime(s.now())
		m.SetDeletionTimestamp(&now)
		// The grace period is recorded only when the request gives one, so
		// that whoever finalizes the object (the node, for a VMI) can tell
		// "stop at once" (0) from "use the object's own grace period" (nil).
		if g := opts.GracePeriodSeconds; g != nil && *g >= 0 {
			grace := *g
			m.SetDeletionGracePeriodSeconds(&grace)
		}
		return current, nil
	})
	return into, err
}

func checkDeletePreconditions(req request, pre *metav1.Preconditions, m metav1.Object) error {
	if pre == nil {
		return nil
	}
	if pre.UID != nil && *pre.UID != m.GetUID() {
		return apierrors.NewConflict(req.res.GroupResource(), req.name, fmt.Errorf(
			"precondition failed: UID in precondition: %v, UID in object meta: %v", *pre.UID, m.GetUID()))
	}
	if pre.ResourceVersion != nil && *pre.ResourceVersion != m.GetResourceVersion() {
		return apierrors.NewConflict(req.res.GroupResource(), req.name, fmt.Errorf(
			"precondition failed: ResourceVersion in precondition: %v, ResourceVersion in object meta: %v",
			*pre.ResourceVersion, m.GetResourceVersion()))
	}
	return nil
}

func storePreconditions(uid *types.UID, rv *string) store.Preconditions {
	return store.Preconditions{UID: uid, ResourceVersion: rv}
}

// deleteOptions reads DeleteOptions from the body (optional) and from the
// query (gracePeriodSeconds, propagationPolicy), as kubectl sends either.
func (s *Server) deleteOptions(r *http.Request) (*metav1.DeleteOptions, error) {
	body, err := s.readBody(r)
	if err != nil {
		return nil, err
	}
	opts := &metav1.DeleteOptions{}
	if len(body) > 0 {
		if err := json.Unmarshal(body, opts); err != nil {
			return nil, apierrors.NewBadRequest(fmt.Sprintf("the body is not valid DeleteOptions: %v", err))
		}
	}
	q := r.URL.Query()
	if v := q.Get("propagationPolicy"); v != "" {
		p := metav1.DeletionPropagation(v)
		opts.PropagationPolicy = &p
	}
	if v := q.Get("gracePeriodSeconds"); v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			return nil, apierrors.NewBadRequest(fmt.Sprintf("gracePeriodSeconds: %q is not an integer", v))
		}
		opts.GracePeriodSeconds = &n
	}
	if p := opts.PropagationPolicy; p != nil {
		switch *p {
		case metav1.DeletePropagationOrphan, metav1.DeletePropagationBackground, metav1.DeletePropagationForeground:
		default:
			return nil, apierrors.NewBadRequest(fmt.Sprintf(
				"propagationPolicy: unsupported value %q (supported: Orphan, Background, Foreground)", *p))
		}
	}
	return opts, nil
}
