package vm

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/utils/clock"

	"vigil.dev/vigil/internal/client"
	"vigil.dev/vigil/internal/resource"
)

// informer keeps a cache of one resource in step with the API server:
// list, then watch from the list's resourceVersion; a watch that ends is
// resumed from the last version seen, and a watch that fails (410 Gone
// included) is replaced by a fresh list. Every object that changes is
// handed to notify.
type informer[T object] struct {
	api    API
	res    *resource.Info
	cache  *cache[T]
	notify func(T)
	clock  clock.Clock
	retry  time.Duration
	log    *slog.Logger

	syncOnce sync.Once
	synced   chan struct{}
}

func newInformer[T object](api API, res *resource.Info, c clock.Clock, retry time.Duration,
	log *slog.Logger, notify func(T)) *informer[T] {
	return &informer[T]{api: api, res: res, cache: newCache[T](), notify: notify, clock: c, retry: retry,
		log: log.With("resource", res.Resource), synced: make(chan struct{})}
}

// run lists and watches until ctx ends.
func (i *informer[T]) run(ctx context.Context) {
	for ctx.Err() == nil {
		rv, err := i.list(ctx)
		if err != nil {
			i.log.Warn("list failed, retrying", "err", err, "after", i.retry)
			i.pause(ctx)
			continue
		}
		i.syncOnce.Do(func() { close(i.synced) })
		events, err := i.watch(ctx, rv)
		switch {
		case ctx.Err() != nil:
		case (apierrors.IsGone(err) || apierrors.IsResourceExpired(err)) && events > 0:
			i.log.Info("watch expired, listing again", "err", err)
		default:
			// Also an expiry right after a fresh list: do not spin on it.
			i.log.Warn("watch failed, listing again", "err", err, "after", i.retry)
			i.pause(ctx)
		}
	}
}

// list replaces the cache with a fresh list and returns its resourceVersion.
func (i *informer[T]) list(ctx context.Context) (string, error) {
	list := i.res.NewList()
	if err := i.api.List(ctx, i.res, "", client.ListOptions{}, list); err != nil {
		return "", fmt.Errorf("listing %s: %w", i.res.Resource, err)
	}
	objs, err := meta.ExtractList(list)
	if err != nil {
		return "", fmt.Errorf("reading the %s list: %w", i.res.Resource, err)
	}
	items := make([]T, 0, len(objs))
	for _, o := range objs {
		t, ok := o.(T)
		if !ok {
			return "", fmt.Errorf("the %s list holds a %T", i.res.Resource, o)
		}
		items = append(items, t)
	}
	for _, o := range i.cache.replace(items) {
		i.notify(o)
	}
	acc, err := meta.ListAccessor(list)
	if err != nil {
		return "", fmt.Errorf("reading the %s list: %w", i.res.Resource, err)
	}
	return acc.GetResourceVersion(), nil
}

// watch follows changes after rv. It returns when ctx ends (nil) or the
// watch fails (the error), with the number of events it applied; a stream
// the server just closes is resumed.
func (i *informer[T]) watch(ctx context.Context, rv string) (events int, err error) {
	for ctx.Err() == nil {
		w, err := i.api.Watch(ctx, i.res, "", client.ListOptions{ResourceVersion: rv})
		if err != nil {
			return events, fmt.Errorf("watching %s: %w", i.res.Resource, err)
		}
		next, n, err := i.consume(ctx, w, rv)
		w.Stop()
		events += n
		if err != nil {
			return events, err
		}
		if n == 0 {
			i.pause(ctx) // an empty stream: do not hammer the server
		}
		rv = next
	}
	return events, nil
}

// consume applies events until the stream ends; it returns the last
// resourceVersion seen and how many events came.
func (i *informer[T]) consume(ctx context.Context, w watch.Interface, rv string) (string, int, error) {
	n := 0
	for {
		select {
		case <-ctx.Done():
			return rv, n, nil
		case ev, ok := <-w.ResultChan():
			if !ok {
				return rv, n, nil
			}
			n++
			next, err := i.handle(ev)
			if err != nil {
				return rv, n, err
			}
			if next != "" {
				rv = next
			}
		}
	}
}

// handle applies one event and returns its resourceVersion.
func (i *informer[T]) handle(ev watch.Event) (string, error) {
	switch ev.Type {
	case watch.Error:
		return "", fmt.Errorf("watching %s: %w", i.res.Resource, apierrors.FromObject(ev.Object))
	case watch.Bookmark:
		acc, err := meta.Accessor(ev.Object)
		if err != nil {
			return "", nil
		}
		return acc.GetResourceVersion(), nil
	}
	t, ok := ev.Object.(T)
	if !ok {
		return "", fmt.Errorf("a %s watch event carries a %T", i.res.Resource, ev.Object)
	}
	i.cache.apply(ev.Type, t)
	i.notify(t)
	return t.GetResourceVersion(), nil
}

func (i *informer[T]) pause(ctx context.Context) {
	select {
	case <-ctx.Done():
	case <-i.clock.After(i.retry):
	}
}
