package endpoints

import (
	"context"
	"fmt"
	"strings"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"vigil.dev/vigil/internal/resource"
)

// Sync brings the Endpoints of one Service ("namespace/name") in line with
// the caches: written when they differ from Derive, deleted when the
// Service is gone and the Endpoints are the controller's. A Service
// without a selector is left alone, as Kubernetes does.
func (c *Controller) Sync(ctx context.Context, key string) error {
	svc, haveSvc := c.svcs.Cache().Get(key)
	cur, haveEps := c.eps.Cache().Get(key)
	switch {
	case !haveSvc:
		if !haveEps || cur.Labels[ManagedByLabel] != ManagedByValue {
			return nil
		}
		return c.delete(ctx, cur)
	case len(svc.Spec.Selector) == 0:
		return nil
	}
	ns, _, _ := strings.Cut(key, "/")
	want := Derive(svc, c.vmis.Cache().List(ns))
	if !haveEps {
		return c.create(ctx, want)
	}
	if equality.Semantic.DeepEqual(cur.Subsets, want.Subsets) && equality.Semantic.DeepEqual(cur.Labels, want.Labels) {
		return nil
	}
	return c.update(ctx, cur, want)
}

func (c *Controller) create(ctx context.Context, want *corev1.Endpoints) error {
	if err := c.api.Create(ctx, resource.Endpoints, want); err != nil {
		// AlreadyExists: the watch has not delivered it yet; the retry will.
		return fmt.Errorf("create endpoints %s/%s: %w", want.Namespace, want.Name, err)
	}
	c.eps.Cache().AddIfAbsent(want)
	c.log.Debug("endpoints created", "service", want.Namespace+"/"+want.Name, "ready", countReady(want))
	return nil
}

func (c *Controller) update(ctx context.Context, cur, want *corev1.Endpoints) error {
	upd := cur.DeepCopy()
	upd.Labels = want.Labels
	upd.Subsets = want.Subsets
	if err := c.api.Update(ctx, resource.Endpoints, upd); err != nil {
		// Conflict: the cache is behind; the watch catches up before the retry.
		return fmt.Errorf("update endpoints %s/%s: %w", cur.Namespace, cur.Name, err)
	}
	c.eps.Cache().Swap(cur, upd)
	c.log.Debug("endpoints updated", "service", cur.Namespace+"/"+cur.Name, "ready", countReady(upd))
	return nil
}

// delete removes the Endpoints of a Service that is gone, only the very
// object the cache holds (UID precondition).
func (c *Controller) delete(ctx context.Context, cur *corev1.Endpoints) error {
	uid := cur.UID
	err := c.api.Delete(ctx, resource.Endpoints, cur.Namespace, cur.Name,
		metav1.DeleteOptions{Preconditions: &metav1.Preconditions{UID: &uid}})
	if err != nil && !apierrors.IsNotFound(err) {
		return fmt.Errorf("delete endpoints %s/%s of a deleted service: %w", cur.Namespace, cur.Name, err)
	}
	c.eps.Cache().Forget(cur)
	c.log.Debug("endpoints deleted with their service", "service", cur.Namespace+"/"+cur.Name)
	return nil
}

func countReady(ep *corev1.Endpoints) int {
	n := 0
	for _, ss := range ep.Subsets {
		n += len(ss.Addresses)
	}
	return n
}
