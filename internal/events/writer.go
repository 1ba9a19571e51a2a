package events

import (
	"context"
	"fmt"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"

	"vigil.dev/vigil/internal/resource"
)

// aggregateKey says which occurrences are "the same event".
type aggregateKey struct {
	uid                                types.UID
	eventType, reason, message, source string
}

func keyOf(ev *corev1.Event) aggregateKey {
	return aggregateKey{ev.InvolvedObject.UID, ev.Type, ev.Reason, ev.Message, ev.Source.Component}
}

// write is the writer goroutine.
func (r *Recorder) write() {
	defer close(r.done)
	for {
		select {
		case <-r.ctx.Done():
			return
		case it := <-r.queue:
			if it.flushed != nil {
				close(it.flushed)
				continue
			}
			r.record(it.event)
			if n := r.dropped.Load(); n > 0 && len(r.queue) == 0 {
				r.dropped.Add(-n)
				r.log.Warn("events were dropped while the queue was full", "dropped", n)
			}
		}
	}
}

// record writes one occurrence: a bump of the stored Event when the same
// event happened within the window, else a new Event.
func (r *Recorder) record(ev *corev1.Event) {
	ctx, cancel := context.WithTimeout(r.ctx, writeTimeout)
	defer cancel()
	key := keyOf(ev)
	r.forgetOld(ev.LastTimestamp.Time)
	if prev, ok := r.recent[key]; ok {
		stored, err := r.bump(ctx, prev, ev.LastTimestamp)
		if err == nil {
			r.recent[key] = stored
			return
		}
		if !apierrors.IsNotFound(err) {
			r.log.Warn("cannot update event", "event", prev.Name, "reason", ev.Reason, "err", err)
			return
		}
		delete(r.recent, key) // the stored Event is gone: start a new one
	}
	if err := r.api.Create(ctx, resource.Events, ev); err != nil {
		r.log.Warn("cannot create event", "event", ev.Name, "reason", ev.Reason, "err", err)
		return
	}
	r.track(key, ev)
}

// bump counts one more occurrence on the stored Event. A Conflict means
// the cached copy is stale: read the Event again and retry once.
func (r *Recorder) bump(ctx context.Context, prev *corev1.Event, at metav1.Time) (*corev1.Event, error) {
	next := prev.DeepCopy()
	next.Count++
	next.LastTimestamp = at
	err := r.api.Update(ctx, resource.Events, next)
	if !apierrors.IsConflict(err) {
		return next, err
	}
	fresh := &corev1.Event{}
	if err := r.api.Get(ctx, resource.Events, prev.Namespace, prev.Name, fresh); err != nil {
		return nil, fmt.Errorf("reading event %s/%s again: %w", prev.Namespace, prev.Name, err)
	}
	fresh.Count++
	fresh.LastTimestamp = at
	if err := r.api.Update(ctx, resource.Events, fresh); err != nil {
		return nil, err
	}
	return fresh, nil
}

// forgetOld drops the events whose last occurrence is past the window.
func (r *Recorder) forgetOld(now time.Time) {
	for k, ev := range r.recent {
		if now.Sub(ev.LastTimestamp.Time) >= aggregateWindow {
			delete(r.recent, k)
		}
	}
}

// track remembers an event for aggregation, within maxTracked entries.
func (r *Recorder) track(key aggregateKey, ev *corev1.Event) {
	if len(r.recent) >= maxTracked {
		var oldest aggregateKey
		first := true
		for k, e := range r.recent {
			if first || e.LastTimestamp.Before(&r.recent[oldest].LastTimestamp) {
				oldest, first = k, false
			}
		}
		delete(r.recent, oldest)
	}
	r.recent[key] = ev
}
