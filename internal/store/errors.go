package store

import (
	"context"
	"errors"
	"fmt"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/types"

	"vigil.dev/vigil/internal/resource"
)

// errModified is Kubernetes' wording for a lost optimistic-concurrency race;
// clients and users recognise it.
var errModified = errors.New("the object has been modified; please apply your changes to the latest version and try again")

func notFound(r *resource.Info, name string) error {
	return apierrors.NewNotFound(r.GroupResource(), name)
}

func conflict(r *resource.Info, name string) error {
	return apierrors.NewConflict(r.GroupResource(), name, errModified)
}

func badRequest(msg string) error { return apierrors.NewBadRequest(msg) }

// gone is the 410 for a revision etcd has compacted away.
func gone(msg string) error { return apierrors.NewResourceExpired(msg) }

// storageError turns a failure to talk to etcd (or a broken stored value)
// into an API error that names the operation and the key.
func storageError(ctx context.Context, op, key string, err error) error {
	if errors.Is(err, context.DeadlineExceeded) || errors.Is(ctx.Err(), context.DeadlineExceeded) {
		return apierrors.NewTimeoutError(fmt.Sprintf("store: %s %s: %v", op, key, err), 0)
	}
	return apierrors.NewInternalError(fmt.Errorf("store: %s %s: %w", op, key, err))
}

// checkPreconditions compares a delete's preconditions with the stored
// object's uid and revision.
func checkPreconditions(r *resource.Info, name string, pre Preconditions, uid types.UID, rv string) error {
	if pre.UID != nil && *pre.UID != uid {
		return apierrors.NewConflict(r.GroupResource(), name,
			fmt.Errorf("precondition failed: UID in precondition: %v, UID in object meta: %v", *pre.UID, uid))
	}
	if pre.ResourceVersion != nil && *pre.ResourceVersion != rv {
		return apierrors.NewConflict(r.GroupResource(), name,
			fmt.Errorf("precondition failed: ResourceVersion in precondition: %v, ResourceVersion in object meta: %v", *pre.ResourceVersion, rv))
	}
	return nil
}
