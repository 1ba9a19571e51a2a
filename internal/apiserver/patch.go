package apiserver

import (
	"encoding/json"
	"fmt"
	"mime"
	"net/http"

	jsonpatch "github.com/evanphx/json-patch/v5"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/strategicpatch"
	"k8s.io/apimachinery/pkg/util/validation/field"

	"vigil.dev/vigil/internal/resource"
)

// Patch media types.
const (
	mergePatch     = "application/merge-patch+json"
	jsonPatch      = "application/json-patch+json"
	strategicPatch = "application/strategic-merge-patch+json"
)

// patcher applies a patch to the JSON of the current object.
type patcher func(current []byte) ([]byte, error)

// servePatch answers PATCH of an object or of its status. The patch is
// applied to the current object inside the store's GuaranteedUpdate, and
// the result goes through the same rules as a PUT: a patch that would make
// the object invalid is refused (422) and stores nothing.
func (s *Server) servePatch(w http.ResponseWriter, r *http.Request, req request) {
	if isApplyPatch(r) {
		s.serveApply(w, r, req)
		return
	}
	dryRun, err := parseDryRun(r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	policy, err := parseFieldValidation(r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	body, err := s.readBody(r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	apply, err := patcherFor(r.Header.Get("Content-Type"), req.res, body)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	var decodeWarnings []string // of the last attempt only
	build := func(current runtime.Object) (runtime.Object, error) {
		cur, err := json.Marshal(current)
		if err != nil {
			return nil, apierrors.NewInternalError(fmt.Errorf("encoding the current %s: %w", req.res.Kind, err))
		}
		patched, err := apply(cur)
		if err != nil {
			return nil, err
		}
		// A patch that renames the object is refused by the registry's
		// immutability checks (422), like any other invalid change.
		obj, warnings, err := s.decodeValidated(req.res, patched, policy)
		decodeWarnings = warnings
		return obj, err
	}
	out, warnings, err := s.updateWith(r.Context(), req, dryRun, build, s.trackUpdate(r, req))
	addWarnings(w, append(decodeWarnings, warnings...))
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	s.writeObject(w, req.res, http.StatusOK, out)
}

// patcherFor picks the patch implementation for a Content-Type. Strategic
// merge patch needs the Go struct's patch tags, which only the core kinds
// have (as in Kubernetes, custom resources refuse it with 415).
func patcherFor(contentType string, res *resource.Info, patch []byte) (patcher, error) {
	mt, _, err := mime.ParseMediaType(contentType)
	if err != nil {
		mt = contentType
	}
	switch mt {
	case mergePatch:
		if !json.Valid(patch) {
			return nil, apierrors.NewBadRequest("the merge patch is not valid JSON")
		}
		return func(cur []byte) ([]byte, error) {
			out, err := jsonpatch.MergePatch(cur, patch)
			if err != nil {
				return nil, patchFailed(res, patch, err)
			}
			return out, nil
		}, nil
	case jsonPatch:
		p, err := jsonpatch.DecodePatch(patch)
		if err != nil {
			return nil, apierrors.NewBadRequest(fmt.Sprintf("the JSON patch is not valid: %v", err))
		}
		return func(cur []byte) ([]byte, error) {
			out, err := p.Apply(cur)
			if err != nil {
				return nil, patchFailed(res, patch, err)
			}
			return out, nil
		}, nil
	case strategicPatch:
		if res.Group != "" {
			return nil, errUnsupportedMediaType(contentType, mergePatch+", "+jsonPatch)
		}
		return func(cur []byte) ([]byte, error) {
			out, err := strategicpatch.StrategicMergePatch(cur, patch, res.New())
			if err != nil {
				return nil, patchFailed(res, patch, err)
			}
			return out, nil
		}, nil
	}
	accepted := mergePatch + ", " + jsonPatch
	if res.Group == "" {
		accepted += ", " + strategicPatch
	}
	return nil, errUnsupportedMediaType(contentType, accepted)
}

// patchFailed is the 422 Kubernetes answers for a patch that cannot be
// applied (a failed "test", a path that does not exist).
func patchFailed(res *resource.Info, patch []byte, err error) error {
	return apierrors.NewInvalid(res.GroupVersionKind().GroupKind(), "",
		field.ErrorList{field.Invalid(field.NewPath("patch"), string(patch), err.Error())})
}
