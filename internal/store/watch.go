package store

import (
	"context"
	"errors"
	"fmt"
	"log/slog"

	"go.etcd.io/etcd/api/v3/mvccpb"
	"go.etcd.io/etcd/api/v3/v3rpc/rpctypes"
	clientv3 "go.etcd.io/etcd/client/v3"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/watch"

	"vigil.dev/vigil/internal/resource"
)

// watchBuffer is how many events wait for a slow consumer before the
// stream stops taking more from etcd; etcd keeps the rest (nothing is
// dropped, the watch falls behind).
const watchBuffer = 100

// Watch streams the changes of r in namespace after revision since. A
// since that etcd has compacted away is a 410 Expired error, returned at
// once; one compacted between that check and the watch's start ends the
// stream with an Error event carrying the same status.
func (s *etcdStore) Watch(ctx context.Context, r *resource.Info, namespace string, since int64) (<-chan Event, error) {
	prefix, err := s.keys.collectionPrefix(r, namespace)
	if err != nil {
		return nil, err
	}
	if since < 0 {
		return nil, badRequest(fmt.Sprintf("%s: watch: resourceVersion %d is negative", r.Resource, since))
	}
	if since == 0 {
		if since, err = s.Revision(ctx); err != nil {
			return nil, err
		}
	} else if err := s.checkNotCompacted(ctx, prefix, since); err != nil {
		return nil, err
	}
	wctx, cancel := context.WithCancel(clientv3.WithRequireLeader(ctx))
	wch := s.client.Watch(wctx, prefix, clientv3.WithPrefix(), clientv3.WithRev(since+1), clientv3.WithPrevKV())
	out := make(chan Event, watchBuffer)
	w := &watcher{r: r, since: since, out: out, log: s.log.With("resource", r.Resource, "namespace", namespace)}
	go func() {
		defer cancel()
		defer close(out)
		w.run(wctx, wch)
	}()
	return out, nil
}

// checkNotCompacted answers whether etcd can still replay every change
// after since, each with the state before it: a watch event carries the
// previous value (PrevKV, without which a deletion has no last state), so
// revision since itself must still be readable. A read at since fails
// with ErrCompacted exactly when it is not, and does so synchronously, so
// a caller gets its 410 as a reply rather than from the stream. The read
// is of one key (the prefix itself, which names no object): etcd checks
// the revision before it looks anything up. A since beyond the current
// revision is a future read: nothing is lost.
func (s *etcdStore) checkNotCompacted(ctx context.Context, prefix string, since int64) error {
	_, err := s.client.Get(ctx, prefix, clientv3.WithRev(since), clientv3.WithKeysOnly())
	switch {
	case err == nil, errors.Is(err, rpctypes.ErrFutureRev):
		return nil
	case errors.Is(err, rpctypes.ErrCompacted):
		return gone(fmt.Sprintf("too old resource version: %d (compacted)", since))
	default:
		return storageError(ctx, "watch", prefix, err)
	}
}

// watcher converts one etcd watch into Events.
type watcher struct {
	r     *resource.Info
	since int64
	out   chan<- Event
	log   *slog.Logger
}

// run forwards events until ctx ends or the etcd watch fails.
func (w *watcher) run(ctx context.Context, wch clientv3.WatchChan) {
	for resp := range wch {
		if resp.CompactRevision != 0 {
			msg := fmt.Sprintf("too old resource version: %d (%d)", w.since, resp.CompactRevision)
			w.fail(ctx, apierrors.NewResourceExpired(msg))
			return
		}
		if err := resp.Err(); err != nil {
			if ctx.Err() == nil {
				w.log.Warn("watch failed", "err", err)
				w.fail(ctx, apierrors.NewInternalError(fmt.Errorf("watch %s: %w", w.r.Resource, err)))
			}
			return
		}
		for _, ev := range resp.Events {
			e, err := w.convert(ev)
			if err != nil {
				w.fail(ctx, apierrors.NewInternalError(err))
				return
			}
			if !w.send(ctx, e) {
				return
			}
		}
	}
}

// convert turns an etcd event into an Event; a deletion carries the last
// state with the deletion's revision.
func (w *watcher) convert(ev *clientv3.Event) (Event, error) {
	rev := ev.Kv.ModRevision
	typ, data := watch.Modified, ev.Kv.Value
	switch {
	case ev.Type == mvccpb.DELETE:
		if ev.PrevKv == nil {
			return Event{}, fmt.Errorf("watch %s: deletion of %s at revision %d came without its last state", w.r.Resource, ev.Kv.Key, rev)
		}
		typ, data = watch.Deleted, ev.PrevKv.Value
	case ev.IsCreate():
		typ = watch.Added
	}
	obj := w.r.New()
	if err := decode(data, rev, obj); err != nil {
		return Event{}, fmt.Errorf("watch %s: %s at revision %d: %w", w.r.Resource, ev.Kv.Key, rev, err)
	}
	return Event{Type: typ, Object: obj, Revision: rev}, nil
}

// fail sends a final Error event.
func (w *watcher) fail(ctx context.Context, err apierrors.APIStatus) {
	status := err.Status()
	w.send(ctx, Event{Type: watch.Error, Object: &status})
}

// send delivers e unless the consumer has gone (ctx ended).
func (w *watcher) send(ctx context.Context, e Event) bool {
	select {
	case w.out <- e:
		return true
	case <-ctx.Done():
		return false
	}
}
