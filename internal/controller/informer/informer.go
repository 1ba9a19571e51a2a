package informer

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/utils/clock"

	"vigil.dev/vigil/internal/client"
	"vigil.dev/vigil/internal/resource"
)

// ListWatcher is what an informer needs of the API server;
// *client.Client satisfies it. Errors are Kubernetes API errors.
type ListWatcher interface {
	List(ctx context.Context, r *resource.Info, ns string, opts client.ListOptions, into runtime.Object) error
	Watch(ctx context.Context, r *resource.Info, ns string, opts client.ListOptions) (watch.Interface, error)
}

var _ ListWatcher = (*client.Client)(nil)

// DefaultRetry is the pause after a failed list or watch: long enough not
// to hammer a server that is down, short enough that a restart of the API
// goes unnoticed.
const DefaultRetry = time.Second

// Options configure an Informer; zero values get defaults.
type Options struct {
	// Clock times the pauses between retries (default: the real clock).
	Clock clock.Clock
	// Retry is the pause after a failed list or watch (default DefaultRetry).
	Retry time.Duration
	// Logger gets warnings about failed lists and watches (default slog.Default()).
	Logger *slog.Logger
}

// Informer keeps a Cache of one resource (all namespaces) in step with the
// API server: list, then watch from the list's resourceVersion; a watch
// that ends is resumed from the last version seen, and a watch that fails
// (410 Gone included) is replaced by a fresh list. Every object that
// changes is handed to the handler, deleted ones as last known, after the
// cache has recorded the change.
type Informer[T Object] struct {
	api     ListWatcher
	res     *resource.Info
	cache   *Cache[T]
	handler func(T)
	opts    Options
	log     *slog.Logger

	lw ListWatch

	syncOnce sync.Once
	synced   chan struct{}
}

// New builds an informer; Run starts it. handler runs on the informer's
// goroutine and must not block.
func New[T Object](api ListWatcher, res *resource.Info, opts Options, handler func(T)) *Informer[T] {
	if opts.Clock == nil {
		opts.Clock = clock.RealClock{}
	}
	if opts.Retry <= 0 {
		opts.Retry = DefaultRetry
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	i := &Informer[T]{api: api, res: res, cache: NewCache[T](), handler: handler, opts: opts,
		log: opts.Logger.With("resource", res.Resource), synced: make(chan struct{})}
	i.lw = ListWatch{API: api, Res: res, List: i.List, Handle: i.Handle, Clock: opts.Clock, Retry: opts.Retry, Log: i.log}
	return i
}

// Cache is the informer's cache.
func (i *Informer[T]) Cache() *Cache[T] { return i.cache }

// Synced is closed once the first list has filled the cache.
func (i *Informer[T]) Synced() <-chan struct{} { return i.synced }

// Run lists and watches until ctx ends.
func (i *Informer[T]) Run(ctx context.Context) { i.lw.Run(ctx) }

// List replaces the cache with a fresh list, hands every touched object to
// the handler, marks the informer synced and returns the list's
// resourceVersion. Run calls it; tests call it to step an informer.
func (i *Informer[T]) List(ctx context.Context) (string, error) {
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
	acc, err := meta.ListAccessor(list)
	if err != nil {
		return "", fmt.Errorf("reading the %s list: %w", i.res.Resource, err)
	}
	for _, o := range i.cache.Replace(items) {
		i.handler(o)
	}
	i.syncOnce.Do(func() { close(i.synced) })
	return acc.GetResourceVersion(), nil
}

// Watch follows changes after rv. It returns when ctx ends (nil) or the
// watch fails (the error), with the number of events it applied; a stream
// the server just closes is resumed. Tests call it to step an informer.
func (i *Informer[T]) Watch(ctx context.Context, rv string) (events int, err error) {
	return i.lw.Watch(ctx, rv)
}

// Handle applies one watch event and returns its resourceVersion.
func (i *Informer[T]) Handle(ev watch.Event) (string, error) {
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
	i.cache.Apply(ev.Type, t)
	i.handler(t)
	return t.GetResourceVersion(), nil
}

// WaitForSync waits until every channel is closed (true) or ctx ends (false).
func WaitForSync(ctx context.Context, synced ...<-chan struct{}) bool {
	for _, ch := range synced {
		select {
		case <-ch:
		case <-ctx.Done():
			return false
		}
	}
	return true
}
