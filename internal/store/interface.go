package store

import (
	"context"

	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/watch"

	"vigil.dev/vigil/internal/resource"
)

// Interface is the object store. Objects are kept as JSON, one key per
// object; resourceVersion is the etcd modification revision of the object's
// key, as a decimal string.
//
// Errors are Kubernetes API errors (k8s.io/apimachinery/pkg/api/errors), so
// the API server passes them on unchanged: NotFound, AlreadyExists, Conflict
// (stale resourceVersion or failed precondition), Expired/Gone (410, a watch
// or continue token from a compacted revision), InternalError otherwise.
type Interface interface {
	// Create stores a new object. It sets uid, creationTimestamp,
	// generation 1 (when zero) and resourceVersion in obj. An object with the
	// same namespace/name gets AlreadyExists. obj must have a name (and a
	// namespace when the resource is namespaced); the caller has validated it.
	Create(ctx context.Context, r *resource.Info, obj runtime.Object) error

	// Get reads one object into `into` (a pointer of r.New()'s type).
	Get(ctx context.Context, r *resource.Info, namespace, name string, into runtime.Object) error

	// List reads the objects of a resource in a namespace ("" = all
	// namespaces), sorted by namespace then name, into `into` (a pointer of
	// r.NewList()'s type), and sets the list's resourceVersion to the
	// revision the list was read at. Limit/Continue page through it; every
	// page is read at the first page's revision. The order is etcd's key
	// order, the bytes of "namespace/name": a namespace that extends another
	// with '-' or '.' ("a-b" after "a") sorts before it, as in Kubernetes.
	List(ctx context.Context, r *resource.Info, namespace string, opts ListOptions, into runtime.Object) error

	// Update replaces an existing object. When obj's resourceVersion is set it
	// must equal the stored one, else Conflict. uid and creationTimestamp are
	// kept from the stored object whatever obj says. The new resourceVersion is
	// set in obj. Generation is the caller's business. An update that changes
	// nothing is not written: obj gets the stored resourceVersion and watchers
	// see no event (as in Kubernetes).
	Update(ctx context.Context, r *resource.Info, obj runtime.Object) error

	// GuaranteedUpdate reads the current object, calls tryUpdate with a copy
	// and stores what it returns, retrying on a concurrent change. A tryUpdate
	// error aborts and is returned as it is. The stored result is left in
	// `into`; a result equal to the stored object is not written.
	GuaranteedUpdate(ctx context.Context, r *resource.Info, namespace, name string, into runtime.Object,
		tryUpdate func(current runtime.Object) (runtime.Object, error)) error

	// Delete removes an object and leaves its last state in `into` (may be
	// nil), with the deletion's revision as resourceVersion. Preconditions,
	// when set, must hold, else Conflict.
	Delete(ctx context.Context, r *resource.Info, namespace, name string, pre Preconditions, into runtime.Object) error

	// Watch streams the changes of a resource in a namespace ("" = all) that
	// happened after revision `since` (0 = from now), in revision order, with
	// no gaps. A `since` older than the compacted revision gets a Gone error
	// (410), from Watch itself when it can know, else as a final watch.Error
	// event carrying a metav1.Status. The channel is closed when ctx ends or the
	// stream fails; the consumer must drain it.
	Watch(ctx context.Context, r *resource.Info, namespace string, since int64) (<-chan Event, error)

	// Revision is the store's current revision.
	Revision(ctx context.Context) (int64, error)

	// Close releases the store (and stops an embedded etcd).
	Close() error
}

// ListOptions page a list.
type ListOptions struct {
	// Limit is the most items to return (0 = no limit).
	Limit int64
	// Continue is the token from the previous page.
	Continue string
}

// Preconditions must hold for a delete to proceed.
type Preconditions struct {
	UID             *types.UID
	ResourceVersion *string
}

// Event is one change of an object, as a Kubernetes watch reports it.
// Type is Added, Modified, Deleted or Error; for Deleted, Object is the last
// state with the deletion's revision as resourceVersion. For Error, Object is
// a *metav1.Status.
type Event struct {
	Type     watch.EventType
	Object   runtime.Object
	Revision int64
}
