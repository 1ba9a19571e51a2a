package apiserver

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/watch"

	"vigil.dev/vigil/internal/store"
)

// watchEvent is one line of a watch stream, as Kubernetes writes it.
type watchEvent struct {
	Type   watch.EventType `json:"type"`
	Object runtime.Object  `json:"object"`
}

// watchParams are a watch request's query parameters.
type watchParams struct {
	sel       selector
	since     int64 // 0: start with the current state as ADDED events
	timeout   time.Duration
	bookmarks bool
}

// serveWatch streams the changes of a collection (or of one object) as
// chunked JSON lines, one flushed per event. From resourceVersion N it sends
// every change after N with no gap; without one (or "0") it first sends
// every existing object as ADDED, then the changes after that state. A
// compacted N is a 410 reply (the store checks it before the stream
// starts); a compaction racing that check ends the stream with an ERROR
// event carrying the same status.
func (s *Server) serveWatch(w http.ResponseWriter, r *http.Request, req request) {
	p, err := parseWatchParams(r, req)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	table, asTable, err := wantsTable(r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	ctx, cancel := s.watchContext(r.Context(), p.timeout)
	defer cancel()
	f := newWatchFilter(req, p.sel, p.since == 0)
	var initial []runtime.Object
	since := p.since
	if since == 0 {
		initial, since, err = s.currentState(ctx, req)
		if err != nil {
			s.writeError(w, r, err)
			return
		}
	}
	events, err := s.cfg.Store.Watch(ctx, req.res, req.namespace, since)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	defer drain(events, cancel)
	st := &watchStream{s: s, w: w, rc: http.NewResponseController(w), req: req}
	w.Header().Set("Content-Type", "application/json")
	if asTable {
		st.transform = (&tableWatch{s: s, req: req, opts: table}).transform
		w.Header().Set("Content-Type", table.contentType())
	}
	w.Header().Set("Cache-Control", "no-cache")
	w.WriteHeader(http.StatusOK)
	if err := st.flush(); err != nil {
		return
	}
	for _, obj := range initial {
		if t, o, ok := f.initial(obj); ok && st.send(t, o) != nil {
			return
		}
	}
	st.run(ctx, events, f, p.bookmarks, since)
}

// watchStream writes events to one client.
type watchStream struct {
	s   *Server
	w   http.ResponseWriter
	rc  *http.ResponseController
	req request
	// transform, when set, replaces each event's object (server-side
	// printing turns it into a Table).
	transform func(watch.EventType, runtime.Object) (runtime.Object, error)
}

// run copies store events to the client until the client leaves, the
// timeout passes, the server stops, or the store ends the stream.
func (st *watchStream) run(ctx context.Context, events <-chan store.Event, f *watchFilter, bookmarks bool, rev int64) {
	var tick <-chan time.Time
	if bookmarks {
		t := time.NewTicker(st.s.cfg.BookmarkInterval)
		defer t.Stop()
		tick = t.C
	}
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick:
			if st.send(watch.Bookmark, st.bookmark(rev)) != nil {
				return
			}
		case ev, ok := <-events:
			if !ok {
				return
			}
			if ev.Type == watch.Error {
				_ = st.send(watch.Error, ev.Object)
				return
			}
			rev = max(rev, ev.Revision)
			if t, o, ok := f.apply(ev); ok && st.send(t, o) != nil {
				return
			}
		}
	}
}

// send writes and flushes one event; an error means the client is gone.
func (st *watchStream) send(t watch.EventType, obj runtime.Object) error {
	if status, ok := obj.(*metav1.Status); ok {
		status.Kind, status.APIVersion = "Status", "v1"
	} else {
		setTypeMeta(st.req.res, obj)
	}
	if st.transform != nil {
		var err error
		if obj, err = st.transform(t, obj); err != nil {
			st.s.log.Error("printing a watch event", "kind", st.req.res.Kind, "err", err)
			return err
		}
	}
	line, err := json.Marshal(watchEvent{Type: t, Object: obj})
	if err != nil {
		st.s.log.Error("encoding a watch event", "kind", st.req.res.Kind, "err", err)
		return err
	}
	// A client that stopped reading must not hold the stream (and the
	// store's watch behind it) for ever.
	_ = st.rc.SetWriteDeadline(time.Now().Add(watchWriteTimeout))
	if _, err := st.w.Write(append(line, '\n')); err != nil {
		return err
	}
	return st.flush()
}

func (st *watchStream) flush() error { return st.rc.Flush() }

// bookmark is an object of the kind carrying only the revision the stream
// has reached: a client resuming from it misses nothing.
func (st *watchStream) bookmark(rev int64) runtime.Object {
	obj := st.req.res.New()
	if m, err := meta.Accessor(obj); err == nil {
		m.SetResourceVersion(strconv.FormatInt(rev, 10))
	}
	return obj
}

// currentState lists the collection for a watch without a resourceVersion:
// the objects to send as ADDED and the revision to watch from.
func (s *Server) currentState(ctx context.Context, req request) ([]runtime.Object, int64, error) {
	list := req.res.NewList()
	if err := s.cfg.Store.List(ctx, req.res, req.namespace, store.ListOptions{}, list); err != nil {
		return nil, 0, err
	}
	items, err := meta.ExtractList(list)
	if err != nil {
		return nil, 0, apierrors.NewInternalError(err)
	}
	lm, err := meta.ListAccessor(list)
	if err != nil {
		return nil, 0, apierrors.NewInternalError(err)
	}
	rev, err := strconv.ParseInt(lm.GetResourceVersion(), 10, 64)
	if err != nil {
		return nil, 0, apierrors.NewInternalError(fmt.Errorf("the store listed at revision %q: %w", lm.GetResourceVersion(), err))
	}
	return items, rev, nil
}

// watchContext ends with the request, at the timeout, or at server shutdown.
func (s *Server) watchContext(parent context.Context, timeout time.Duration) (context.Context, context.CancelFunc) {
	var ctx context.Context
	var cancel context.CancelFunc
	if timeout > 0 {
		ctx, cancel = context.WithTimeout(parent, timeout)
	} else {
		ctx, cancel = context.WithCancel(parent)
	}
	stop := context.AfterFunc(s.stopping, cancel)
	return ctx, func() { stop(); cancel() }
}

// drain ends the store's stream and reads it to its end, as the store
// requires of its consumers.
func drain(events <-chan store.Event, cancel context.CancelFunc) {
	cancel()
	go func() {
		for range events {
		}
	}()
}

func parseWatchParams(r *http.Request, req request) (watchParams, error) {
	q := r.URL.Query()
	var p watchParams
	var err error
	if p.sel, err = parseSelector(r, req); err != nil {
		return p, err
	}
	if v := q.Get("resourceVersion"); v != "" {
		p.since, err = strconv.ParseInt(v, 10, 64)
		if err != nil || p.since < 0 {
			return p, apierrors.NewBadRequest(fmt.Sprintf("resourceVersion: %q is not a resource version", v))
		}
	}
	if v := q.Get("timeoutSeconds"); v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n < 0 {
			return p, apierrors.NewBadRequest(fmt.Sprintf("timeoutSeconds: %q is not a non-negative integer", v))
		}
		p.timeout = time.Duration(n) * time.Second
	}
	p.bookmarks = q.Get("allowWatchBookmarks") == "true"
	return p, nil
}
