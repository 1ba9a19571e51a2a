package informer

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/utils/clock"

	"vigil.dev/vigil/internal/client"
	"vigil.dev/vigil/internal/resource"
)

// ListWatch is the loop behind every informer: list, then watch from the
// list's resourceVersion; a watch that ends is resumed from the last
// version seen, and a watch that fails (410 Gone included) is replaced by
// a fresh list. What a list and an event do to a cache is the caller's:
// Informer uses it for its typed Cache, the node agent for its own VMI
// cache.
type ListWatch struct {
	API ListWatcher
	Res *resource.Info
	// List fills the cache from a fresh list and returns its
	// resourceVersion.
	List func(ctx context.Context) (string, error)
	// Handle applies one watch event and returns its resourceVersion
	// ("" when it carries none); an error ends the watch.
	Handle func(watch.Event) (string, error)
	Clock  clock.Clock
	// Retry is the pause after a failed list or watch, and after a watch
	// stream that ended empty.
	Retry time.Duration
	Log   *slog.Logger
}

// Run lists and watches until ctx ends.
func (l *ListWatch) Run(ctx context.Context) {
	for ctx.Err() == nil {
		rv, err := l.List(ctx)
		if err != nil {
			l.Log.Warn("list failed, retrying", "err", err, "after", l.Retry)
			l.pause(ctx)
			continue
		}
		events, err := l.Watch(ctx, rv)
		switch {
		case ctx.Err() != nil:
		case (apierrors.IsGone(err) || apierrors.IsResourceExpired(err)) && events > 0:
			l.Log.Info("watch expired, listing again", "err", err)
		default:
			// Also an expiry right after a fresh list: do not spin on it.
			l.Log.Warn("watch failed, listing again", "err", err, "after", l.Retry)
			l.pause(ctx)
		}
	}
}

// Watch follows changes after rv. It returns when ctx ends (nil) or the
// watch fails (the error), with the number of events it applied; a stream
// the server just closes is resumed.
func (l *ListWatch) Watch(ctx context.Context, rv string) (events int, err error) {
	for ctx.Err() == nil {
		w, err := l.API.Watch(ctx, l.Res, "", client.ListOptions{ResourceVersion: rv})
		if err != nil {
			return events, fmt.Errorf("watching %s: %w", l.Res.Resource, err)
		}
		next, n, err := l.consume(ctx, w, rv)
		w.Stop()
		events += n
		if err != nil {
			return events, err
		}
		if n == 0 {
			l.pause(ctx) // an empty stream: do not hammer the server
		}
		rv = next
	}
	return events, nil
}

// consume applies events until the stream ends; it returns the last
// resourceVersion seen and how many events came.
func (l *ListWatch) consume(ctx context.Context, w watch.Interface, rv string) (string, int, error) {
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
			next, err := l.Handle(ev)
			if err != nil {
				return rv, n, err
			}
			if next != "" {
				rv = next
			}
		}
	}
}

func (l *ListWatch) pause(ctx context.Context) {
	select {
	case <-ctx.Done():
	case <-l.Clock.After(l.Retry):
	}
}
