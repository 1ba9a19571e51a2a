package apiserver

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"mime"
	"net/http"
	"reflect"
	"strconv"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"sigs.k8s.io/yaml"

	"vigil.dev/vigil/internal/registry"
)

// Server-side apply (PATCH with application/apply-patch+yaml), with
// Kubernetes' own field manager (k8s.io/apimachinery's managedfields): the
// applied configuration is merged into the live object, fields the
// manager applied before and has now left out are removed unless another
// manager owns them, a field another manager owns with a different value
// is a 409 conflict unless ?force=true, and metadata.managedFields records
// who owns what. An object that does not exist is created.
//
// Limits, on purpose: ownership is recorded from an object's first apply
// on (objects only ever created and updated carry no managedFields, and
// their writers own nothing until then), and list semantics come from the
// Go types' patch tags and a few known markers (openapi_schema.go): other
// lists are atomic, replaced whole by whoever applies them.

// applyRequest is an apply's parameters.
type applyRequest struct {
	req     request
	dryRun  bool
	force   bool
	manager string
	policy  fieldValidation
	patch   *unstructured.Unstructured
	warns   []string // from field validation of the configuration
}

// isApplyPatch reports whether a PATCH is a server-side apply.
func isApplyPatch(r *http.Request) bool {
	mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	return err == nil && mt == applyPatch
}

// serveApply answers a server-side apply: 200 with the object when it
// existed, 201 when the apply created it.
func (s *Server) serveApply(w http.ResponseWriter, r *http.Request, req request) {
	ar, err := s.parseApply(r, req)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	addWarnings(w, ar.warns)
	out, warnings, created, err := s.apply(r.Context(), ar)
	addWarnings(w, warnings)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	code := http.StatusOK
	if created {
		code = http.StatusCreated
	}
	s.writeObject(w, req.res, code, out)
}

// parseApply reads an apply's parameters and its configuration (YAML or
// JSON), validated under the request's fieldValidation: unknown fields
// are an error (Strict) or are dropped (Warn, Ignore) before the merge.
func (s *Server) parseApply(r *http.Request, req request) (*applyRequest, error) {
	ar := &applyRequest{req: req, manager: r.URL.Query().Get("fieldManager")}
	var err error
	if ar.dryRun, err = parseDryRun(r); err != nil {
		return nil, err
	}
	if ar.policy, err = parseFieldValidation(r); err != nil {
		return nil, err
	}
	if ar.manager == "" {
		return nil, apierrors.NewBadRequest("fieldManager: required for apply requests")
	}
	if v := r.URL.Query().Get("force"); v != "" {
		if ar.force, err = strconv.ParseBool(v); err != nil {
			return nil, apierrors.NewBadRequest(fmt.Sprintf("force: %q is not a boolean", v))
		}
	}
	body, err := s.readBody(r)
	if err != nil {
		return nil, err
	}
	data, err := yaml.YAMLToJSON(body)
	if err != nil {
		return nil, apierrors.NewBadRequest(fmt.Sprintf("the apply configuration is not valid YAML or JSON: %v", err))
	}
	if ar.patch, ar.warns, err = s.applyConfiguration(req, data, ar.policy); err != nil {
		return nil, err
	}
	return ar, nil
}

// applyConfiguration checks a configuration against the kind and returns
// it as the field manager takes it. Its name, when given, must be the
// URL's; its namespace defaults to the URL's.
func (s *Server) applyConfiguration(req request, data []byte, policy fieldValidation) (*unstructured.Unstructured, []string, error) {
	var h head
	if err := json.Unmarshal(data, &h); err != nil {
		return nil, nil, apierrors.NewBadRequest(fmt.Sprintf("the apply configuration is not a JSON object: %v", err))
	}
	if h.APIVersion == "" || h.Kind == "" {
		return nil, nil, apierrors.NewBadRequest("an apply configuration must set apiVersion and kind")
	}
	_, warnings, err := s.decodeValidated(req.res, data, policy)
	if err != nil {
		return nil, nil, err
	}
	if policy != validationStrict {
		if data, err = pruneUnknownFields(data, reflect.TypeOf(req.res.New())); err != nil {
			return nil, nil, apierrors.NewBadRequest(fmt.Sprintf("the apply configuration is not a JSON object: %v", err))
		}
	}
	return finishConfiguration(req, data, warnings)
}

// finishConfiguration makes the configuration an object of the URL's name
// and namespace.
func finishConfiguration(req request, data []byte, warnings []string) (*unstructured.Unstructured, []string, error) {
	patch := &unstructured.Unstructured{}
	if err := patch.UnmarshalJSON(data); err != nil {
		return nil, nil, apierrors.NewBadRequest(fmt.Sprintf("the apply configuration: %v", err))
	}
	if name := patch.GetName(); name != "" && name != req.name {
		return nil, nil, apierrors.NewBadRequest(fmt.Sprintf("the name of the object (%s) does not match the name on the URL (%s)", name, req.name))
	}
	patch.SetName(req.name)
	if req.res.Namespaced {
		if ns := patch.GetNamespace(); ns != "" && ns != req.namespace {
			return nil, nil, apierrors.NewBadRequest(fmt.Sprintf(
				"the namespace of the provided object (%s) does not match the namespace sent on the request (%s)", ns, req.namespace))
		}
		patch.SetNamespace(req.namespace)
	}
	return patch, warnings, nil
}

// apply merges the configuration into the live object, or creates the
// object from it when there is none. It reports whether it created.
func (s *Server) apply(ctx context.Context, ar *applyRequest) (runtime.Object, []string, bool, error) {
	fm, err := fieldManagerFor(ar.req)
	if err != nil {
		return nil, nil, false, apierrors.NewInternalError(err)
	}
	var managed []metav1.ManagedFieldsEntry
	build := func(current runtime.Object) (runtime.Object, error) {
		obj, entries, err := s.mergeApplied(ar, fm.Apply, current)
		managed = entries
		return obj, err
	}
	keepManaged := func(obj, _ runtime.Object) { setManagedFields(obj, managed) }
	out, warnings, err := s.updateWith(ctx, ar.req, ar.dryRun, build, keepManaged)
	if !apierrors.IsNotFound(err) || ar.req.subresource != "" {
		return out, warnings, false, err
	}
	out, warnings, err = s.createApplied(ctx, ar, fm.Apply)
	if apierrors.IsAlreadyExists(err) {
		// Created meanwhile by someone else: merge into theirs.
		out, warnings, err = s.updateWith(ctx, ar.req, ar.dryRun, build, keepManaged)
		return out, warnings, false, err
	}
	return out, warnings, err == nil, err
}

// applyFunc is FieldManager.Apply.
type applyFunc func(live, applied runtime.Object, manager string, force bool) (runtime.Object, error)

// mergeApplied runs the field manager on the live object and decodes the
// result as the typed object it must be (strictly: the configuration was
// validated, so anything odd here is the merge's). It returns the object
// and the managed fields the registry will not keep by itself.
func (s *Server) mergeApplied(ar *applyRequest, apply applyFunc, live runtime.Object) (runtime.Object, []metav1.ManagedFieldsEntry, error) {
	setTypeMeta(ar.req.res, live)
	merged, err := apply(live, ar.patch.DeepCopy(), ar.manager, ar.force)
	if err != nil {
		return nil, nil, applyError(err)
	}
	data, err := json.Marshal(merged)
	if err != nil {
		return nil, nil, apierrors.NewInternalError(fmt.Errorf("encoding the applied %s: %w", ar.req.res.Kind, err))
	}
	obj, err := s.decodeJSON(ar.req.res, data)
	if err != nil {
		return nil, nil, err
	}
	m, err := meta.Accessor(obj)
	if err != nil {
		return nil, nil, apierrors.NewInternalError(err)
	}
	return obj, m.GetManagedFields(), nil
}

// createApplied creates the object from the configuration alone, with
// the steps of serveCreate (registry rules, cluster IP, store).
func (s *Server) createApplied(ctx context.Context, ar *applyRequest, apply applyFunc) (runtime.Object, []string, error) {
	empty := ar.req.res.New()
	if m, err := meta.Accessor(empty); err == nil {
		m.SetName(ar.req.name)
		m.SetNamespace(ar.req.namespace)
	}
	obj, managed, err := s.mergeApplied(ar, apply, empty)
	if err != nil {
		return nil, nil, err
	}
	warnings, err := registry.BeforeCreate(ar.req.res, obj, s.now())
	if err != nil {
		return nil, warnings, err
	}
	setManagedFields(obj, managed)
	releaseIP, err := s.assignClusterIP(ctx, ar.req.res, obj, ar.dryRun)
	if err != nil {
		return nil, warnings, err
	}
	defer releaseIP()
	if ar.dryRun {
		return obj, warnings, nil
	}
	if err := s.cfg.Store.Create(ctx, ar.req.res, obj); err != nil {
		return nil, warnings, err
	}
	return obj, warnings, nil
}

func setManagedFields(obj runtime.Object, managed []metav1.ManagedFieldsEntry) {
	if m, err := meta.Accessor(obj); err == nil {
		m.SetManagedFields(managed)
	}
}

// applyError keeps the field manager's API errors (a 409 listing the
// conflicting fields and their managers) and makes any other failure a
// 400 about the configuration.
func applyError(err error) error {
	var status apierrors.APIStatus
	if errors.As(err, &status) {
		return err
	}
	return apierrors.NewBadRequest(fmt.Sprintf("applying the configuration: %v", err))
}
