package apiserver

import (
	"fmt"
	"net/http"
	"strings"
	"sync"

	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/managedfields"
	"sigs.k8s.io/structured-merge-diff/v6/fieldpath"

	v1 "vigil.dev/vigil/api/v1"
	"vigil.dev/vigil/internal/resource"
)

// maxManagerNameLength is Kubernetes' bound on a field manager's name.
const maxManagerNameLength = 128

// fieldManagerKey names the field manager of a resource or of its /status.
type fieldManagerKey struct {
	res         *resource.Info
	subresource string
}

// fieldManagers are Kubernetes' own field managers (the structured merge
// of server-side apply and the managedFields bookkeeping), one per
// resource and subresource, typed by the OpenAPI schema vigil generates
// from its Go types. Built on first use.
var fieldManagers = sync.OnceValues(buildFieldManagers)

func buildFieldManagers() (map[fieldManagerKey]*managedfields.FieldManager, error) {
	g := newSchemaGen(refPrefixV3)
	defineKinds(g, resource.All)
	converter, err := managedfields.NewTypeConverter(g.defs, false)
	if err != nil {
		return nil, fmt.Errorf("typing the served kinds for server-side apply: %w", err)
	}
	out := map[fieldManagerKey]*managedfields.FieldManager{}
	for _, res := range resource.All {
		subresources := []string{""}
		if res.HasStatus {
			subresources = append(subresources, "status")
		}
		for _, sub := range subresources {
			gvk := res.GroupVersionKind()
			fm, err := managedfields.NewDefaultFieldManager(converter, v1.Scheme, v1.Scheme, v1.Scheme,
				gvk, gvk.GroupVersion(), sub, resetFields(res, sub))
			if err != nil {
				return nil, fmt.Errorf("field manager of %s %s: %w", res.Resource, sub, err)
			}
			out[fieldManagerKey{res, sub}] = fm
		}
	}
	return out, nil
}

// resetFields are the fields a request to the resource (or to /status)
// cannot set, so an apply there neither changes nor owns them: status on
// the main resource, everything but status on /status.
func resetFields(res *resource.Info, subresource string) map[fieldpath.APIVersion]fieldpath.Filter {
	if !res.HasStatus {
		return nil
	}
	exclude := fieldpath.NewSet(fieldpath.MakePathOrDie("status"))
	if subresource == "status" {
		exclude = fieldpath.NewSet(fieldpath.MakePathOrDie("spec"), fieldpath.MakePathOrDie("metadata"))
	}
	return map[fieldpath.APIVersion]fieldpath.Filter{
		fieldpath.APIVersion(res.APIVersion()): fieldpath.NewExcludeSetFilter(exclude),
	}
}

func fieldManagerFor(req request) (*managedfields.FieldManager, error) {
	all, err := fieldManagers()
	if err != nil {
		return nil, err
	}
	fm, ok := all[fieldManagerKey{req.res, req.subresource}]
	if !ok {
		return nil, fmt.Errorf("no field manager for %s %s", req.res.Resource, req.subresource)
	}
	return fm, nil
}

// managerName is who makes a change: ?fieldManager=, else the client's
// User-Agent up to its first "/" ("kubectl", "vigil"), as Kubernetes.
func managerName(r *http.Request) string {
	name := r.URL.Query().Get("fieldManager")
	if name == "" {
		name, _, _ = strings.Cut(r.UserAgent(), "/")
	}
	if len(name) > maxManagerNameLength {
		name = name[:maxManagerNameLength]
	}
	return name
}

// trackUpdate returns the hook that records, after a PUT or a non-apply
// PATCH passed the registry's rules, which fields the request's manager
// now owns. Only objects that carry managedFields (those server-side
// applied at least once) are tracked: for the rest, ownership starts with
// their first apply, and ordinary writes pay nothing for it.
func (s *Server) trackUpdate(r *http.Request, req request) func(obj, current runtime.Object) {
	manager := managerName(r)
	return func(obj, current runtime.Object) {
		cm, err := meta.Accessor(current)
		if err != nil || len(cm.GetManagedFields()) == 0 {
			return
		}
		fm, err := fieldManagerFor(req)
		if err != nil {
			s.log.Error("tracking managed fields", "kind", req.res.Kind, "err", err)
			return
		}
		setTypeMeta(req.res, obj)
		setTypeMeta(req.res, current)
		tracked := fm.UpdateNoErrors(current, obj, manager)
		if tm, err := meta.Accessor(tracked); err == nil {
			if om, err := meta.Accessor(obj); err == nil {
				om.SetManagedFields(tm.GetManagedFields())
			}
		}
	}
}
