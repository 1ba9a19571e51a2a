package apiserver

import (
	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/watch"

	"vigil.dev/vigil/internal/store"
)

// watchFilter applies a watch's selectors the way Kubernetes does: an
// object that starts matching is ADDED, one that stops matching is
// DELETED. It remembers which objects it has reported as matching. When
// the stream began from the current state (complete), it knows everything
// the client holds; when it resumed from a resourceVersion it does not, so
// a MODIFIED object it has not seen is passed on as MODIFIED, and an
// object it has not seen that stops matching is not reported.
type watchFilter struct {
	req      request
	sel      selector
	complete bool
	matched  map[string]bool // namespace/name of objects reported as matching
}

func newWatchFilter(req request, sel selector, complete bool) *watchFilter {
	return &watchFilter{req: req, sel: sel, complete: complete, matched: map[string]bool{}}
}

// initial filters an object of the starting state (sent as ADDED).
func (f *watchFilter) initial(obj runtime.Object) (watch.EventType, runtime.Object, bool) {
	return f.apply(store.Event{Type: watch.Added, Object: obj})
}

// apply decides what, if anything, the client is told about one change.
func (f *watchFilter) apply(ev store.Event) (watch.EventType, runtime.Object, bool) {
	if f.sel.empty() {
		return ev.Type, ev.Object, true
	}
	key := objectKey(ev.Object)
	match := f.sel.matches(f.req.res, ev.Object)
	known := f.matched[key]
	switch ev.Type {
	case watch.Added:
		if match {
			f.matched[key] = true
		}
		return watch.Added, ev.Object, match
	case watch.Modified:
		switch {
		case match && known:
			return watch.Modified, ev.Object, true
		case match:
			f.matched[key] = true
			if f.complete {
				return watch.Added, ev.Object, true
			}
			return watch.Modified, ev.Object, true
		case known:
			delete(f.matched, key)
			return watch.Deleted, ev.Object, true
		}
		return "", nil, false
	case watch.Deleted:
		delete(f.matched, key)
		return watch.Deleted, ev.Object, known || (!f.complete && match)
	}
	return ev.Type, ev.Object, true
}

func objectKey(obj runtime.Object) string {
	m, err := meta.Accessor(obj)
	if err != nil {
		return ""
	}
	return m.GetNamespace() + "/" + m.GetName()
}
