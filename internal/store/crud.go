package store

import (
	"bytes"
	"context"
	"time"

	"go.etcd.io/etcd/api/v3/mvccpb"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/uuid"

	"vigil.dev/vigil/internal/resource"
)

// Create stores obj if no object of r has its namespace/name.
func (s *etcdStore) Create(ctx context.Context, r *resource.Info, obj runtime.Object) error {
	acc, err := typed(r, obj)
	if err != nil {
		return err
	}
	key, err := s.keys.objectKey(r, acc.GetNamespace(), acc.GetName())
	if err != nil {
		return err
	}
	if !r.Namespaced {
		acc.SetNamespace("")
	}
	acc.SetUID(uuid.NewUUID())
	acc.SetCreationTimestamp(metav1.NewTime(s.now().UTC().Truncate(time.Second)))
	if acc.GetGeneration() == 0 {
		acc.SetGeneration(1)
	}
	data, err := encode(r, obj)
	if err != nil {
		return apierrors.NewInternalError(err)
	}
	res, err := s.casPut(ctx, key, data, 0)
	if err != nil {
		return err
	}
	if !res.ok {
		return apierrors.NewAlreadyExists(r.GroupResource(), acc.GetName())
	}
	acc.SetResourceVersion(formatRev(res.rev))
	return nil
}

// Get reads one object.
func (s *etcdStore) Get(ctx context.Context, r *resource.Info, namespace, name string, into runtime.Object) error {
	if _, err := typed(r, into); err != nil {
		return err
	}
	key, err := s.keys.objectKey(r, namespace, name)
	if err != nil {
		return err
	}
	kv, err := s.getKV(ctx, key)
	if err != nil {
		return err
	}
	if kv == nil {
		return notFound(r, name)
	}
	return decodeKV(ctx, key, kv.Value, kv.ModRevision, into)
}

// Update replaces a stored object, keeping its uid and creationTimestamp.
// An update that changes nothing writes nothing: obj gets the stored
// resourceVersion and watchers see no event (as in Kubernetes).
func (s *etcdStore) Update(ctx context.Context, r *resource.Info, obj runtime.Object) error {
	acc, err := typed(r, obj)
	if err != nil {
		return err
	}
	name := acc.GetName()
	key, err := s.keys.objectKey(r, acc.GetNamespace(), name)
	if err != nil {
		return err
	}
	want, err := parseRev(r, name, acc.GetResourceVersion())
	if err != nil {
		return err
	}
	cur, err := s.getKV(ctx, key)
	if err != nil {
		return err
	}
	for {
		if cur == nil {
			return notFound(r, name)
		}
		if want != 0 && cur.ModRevision != want {
			return conflict(r, name)
		}
		res, _, err := s.replace(ctx, r, key, obj, cur)
		if err != nil {
			return err
		}
		if res.ok {
			acc.SetResourceVersion(formatRev(res.rev))
			return nil
		}
		// Lost a race: with a resourceVersion the next round reports the
		// conflict, without one the update is retried on the new state.
		if err := stillWanted(ctx, "update", key); err != nil {
			return err
		}
		cur = res.current
	}
}

// GuaranteedUpdate applies tryUpdate to the current object until the
// result is stored without a concurrent change in between. The result
// keeps the key's namespace/name, uid and creationTimestamp.
func (s *etcdStore) GuaranteedUpdate(ctx context.Context, r *resource.Info, namespace, name string, into runtime.Object,
	tryUpdate func(current runtime.Object) (runtime.Object, error)) error {
	if _, err := typed(r, into); err != nil {
		return err
	}
	key, err := s.keys.objectKey(r, namespace, name)
	if err != nil {
		return err
	}
	cur, err := s.getKV(ctx, key)
	if err != nil {
		return err
	}
	for {
		if cur == nil {
			return notFound(r, name)
		}
		current := r.New()
		if err := decodeKV(ctx, key, cur.Value, cur.ModRevision, current); err != nil {
			return err
		}
		updated, err := tryUpdate(current)
		if err != nil {
			return err
		}
		acc, err := typed(r, updated)
		if err != nil {
			return err
		}
		acc.SetNamespace(namespace)
		acc.SetName(name)
		res, data, err := s.replace(ctx, r, key, updated, cur)
		if err != nil {
			return err
		}
		if res.ok {
			return decodeKV(ctx, key, data, res.rev, into)
		}
		if err := stillWanted(ctx, "update", key); err != nil {
			return err
		}
		cur = res.current
	}
}

// Delete removes an object whose preconditions hold.
func (s *etcdStore) Delete(ctx context.Context, r *resource.Info, namespace, name string, pre Preconditions, into runtime.Object) error {
	if into != nil {
		if _, err := typed(r, into); err != nil {
			return err
		}
	}
	key, err := s.keys.objectKey(r, namespace, name)
	if err != nil {
		return err
	}
	cur, err := s.getKV(ctx, key)
	if err != nil {
		return err
	}
	for {
		if cur == nil {
			return notFound(r, name)
		}
		m, err := storedMeta(cur.Value)
		if err != nil {
			return storageError(ctx, "decode", key, err)
		}
		if err := checkPreconditions(r, name, pre, m.UID, formatRev(cur.ModRevision)); err != nil {
			return err
		}
		res, err := s.casDelete(ctx, key, cur.ModRevision)
		if err != nil {
			return err
		}
		if res.ok {
			if into == nil {
				return nil
			}
			return decodeKV(ctx, key, cur.Value, res.rev, into)
		}
		if err := stillWanted(ctx, "delete", key); err != nil {
			return err
		}
		cur = res.current
	}
}

// replace writes obj over cur, keeping cur's uid and creationTimestamp. When
// obj encodes to what is stored it writes nothing and reports cur's
// revision. It returns the encoding.
func (s *etcdStore) replace(ctx context.Context, r *resource.Info, key string, obj runtime.Object, cur *mvccpb.KeyValue) (casResult, []byte, error) {
	m, err := storedMeta(cur.Value)
	if err != nil {
		return casResult{}, nil, storageError(ctx, "decode", key, err)
	}
	acc, err := meta.Accessor(obj)
	if err != nil {
		return casResult{}, nil, apierrors.NewInternalError(err)
	}
	acc.SetUID(m.UID)
	acc.SetCreationTimestamp(m.CreationTimestamp)
	data, err := encode(r, obj)
	if err != nil {
		return casResult{}, nil, apierrors.NewInternalError(err)
	}
	if bytes.Equal(data, cur.Value) {
		return casResult{ok: true, rev: cur.ModRevision}, data, nil
	}
	res, err := s.casPut(ctx, key, data, cur.ModRevision)
	return res, data, err
}

// stillWanted stops retrying after a lost race once the caller has given
// up (ctx ended).
func stillWanted(ctx context.Context, op, key string) error {
	if err := ctx.Err(); err != nil {
		return storageError(ctx, op, key, err)
	}
	return nil
}

// typed checks that obj is of r's Go type and returns its metadata.
func typed(r *resource.Info, obj runtime.Object) (metav1.Object, error) {
	if err := sameType(r, obj, r.New()); err != nil {
		return nil, apierrors.NewInternalError(err)
	}
	acc, err := meta.Accessor(obj)
	if err != nil {
		return nil, apierrors.NewInternalError(err)
	}
	return acc, nil
}

// decodeKV decodes a stored value, reporting a broken one as an internal
// error naming the key.
func decodeKV(ctx context.Context, key string, data []byte, rev int64, into runtime.Object) error {
	if err := decode(data, rev, into); err != nil {
		return storageError(ctx, "decode", key, err)
	}
	return nil
}
