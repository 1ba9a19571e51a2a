package events

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/utils/clock"

	v1 "vigil.dev/vigil/api/v1"
	"vigil.dev/vigil/internal/client"
	"vigil.dev/vigil/internal/resource"
)

// EventsAPI is what the recorder needs of the API server; *client.Client
// satisfies it. Create and Update replace obj with the server's answer.
type EventsAPI interface {
	Get(ctx context.Context, r *resource.Info, ns, name string, into runtime.Object) error
	Create(ctx context.Context, r *resource.Info, obj runtime.Object) error
	Update(ctx context.Context, r *resource.Info, obj runtime.Object) error
}

var _ EventsAPI = (*client.Client)(nil)

const (
	// queueSize is how many events may wait for the writer; more are dropped.
	queueSize = 1000
	// aggregateWindow: a repeat within this time of the last occurrence is
	// counted on the stored Event (Kubernetes uses ten minutes too).
	aggregateWindow = 10 * time.Minute
	// writeTimeout bounds one API write, so a hung server cannot stall the
	// writer for ever.
	writeTimeout = 10 * time.Second
	// maxTracked bounds the memory of recent events kept for aggregation.
	maxTracked = 4096
)

// Recorder records events. Event and Eventf never block; Flush waits for
// what was recorded before it; Close stops the writer.
type Recorder struct {
	api       EventsAPI
	component string
	clock     clock.PassiveClock
	log       *slog.Logger

	queue   chan item
	dropped atomic.Int64
	// lastName is the nanosecond stamp of the last event name handed out:
	// names stay unique even when the clock does not move between events.
	lastName atomic.Int64
	stop     context.CancelFunc
	ctx      context.Context
	done     chan struct{}
	closing  sync.Once

	// recent is only touched by the writer goroutine.
	recent map[aggregateKey]*corev1.Event
}

// item is one queued event, or a flush marker (flushed set).
type item struct {
	event   *corev1.Event
	flushed chan struct{}
}

// NewRecorder starts a recorder writing events from component (the
// event's source.component and reportingComponent). A nil logger means
// slog.Default().
func NewRecorder(api EventsAPI, component string, clk clock.PassiveClock, logger *slog.Logger) *Recorder {
	if logger == nil {
		logger = slog.Default()
	}
	ctx, cancel := context.WithCancel(context.Background())
	r := &Recorder{api: api, component: component, clock: clk, log: logger.With("component", component),
		queue: make(chan item, queueSize), stop: cancel, ctx: ctx, done: make(chan struct{}),
		recent: map[aggregateKey]*corev1.Event{}}
	go r.write()
	return r
}

// Event records an event about obj, which must have ObjectMeta (its kind
// is taken from its TypeMeta, else from vigil's scheme).
func (r *Recorder) Event(obj runtime.Object, eventType, reason, message string) {
	ev, err := r.newEvent(obj, eventType, reason, message)
	if err != nil {
		r.log.Warn("cannot record event", "reason", reason, "err", err)
		return
	}
	select {
	case r.queue <- item{event: ev}:
	default:
		if r.dropped.Add(1) == 1 {
			r.log.Warn("event queue full, dropping events", "reason", reason, "object", ev.InvolvedObject.Name)
		}
	}
}

// Eventf is Event with a formatted message.
func (r *Recorder) Eventf(obj runtime.Object, eventType, reason, format string, args ...any) {
	r.Event(obj, eventType, reason, fmt.Sprintf(format, args...))
}

// Flush waits until every event recorded before it was written (or given
// up on), or ctx ends.
func (r *Recorder) Flush(ctx context.Context) error {
	marker := make(chan struct{})
	select {
	case r.queue <- item{flushed: marker}:
	case <-r.done:
		return fmt.Errorf("event recorder %s: closed", r.component)
	case <-ctx.Done():
		return fmt.Errorf("flushing events: %w", ctx.Err())
	}
	select {
	case <-marker:
		return nil
	case <-r.done:
		return fmt.Errorf("event recorder %s: closed", r.component)
	case <-ctx.Done():
		return fmt.Errorf("flushing events: %w", ctx.Err())
	}
}

// Close stops the writer; events still queued are not written (Flush
// first to keep them).
func (r *Recorder) Close() {
	r.closing.Do(r.stop)
	<-r.done
}

// newEvent builds the Event for one occurrence, named
// <object name>.<hex unix nanoseconds> as Kubernetes names them.
func (r *Recorder) newEvent(obj runtime.Object, eventType, reason, message string) (*corev1.Event, error) {
	ref, err := reference(obj)
	if err != nil {
		return nil, err
	}
	now := r.clock.Now()
	ns := ref.Namespace
	if ns == "" {
		ns = metav1.NamespaceDefault
	}
	t := metav1.NewTime(now)
	return &corev1.Event{
		ObjectMeta:          metav1.ObjectMeta{Name: fmt.Sprintf("%s.%x", ref.Name, r.nameStamp(now)), Namespace: ns},
		InvolvedObject:      ref,
		Reason:              reason,
		Message:             message,
		Type:                eventType,
		Source:              corev1.EventSource{Component: r.component},
		FirstTimestamp:      t,
		LastTimestamp:       t,
		Count:               1,
		ReportingController: r.component,
	}, nil
}

// nameStamp is now in Unix nanoseconds, or one more than the last stamp
// when the clock has not moved past it.
func (r *Recorder) nameStamp(now time.Time) int64 {
	for {
		last, n := r.lastName.Load(), now.UnixNano()
		if n <= last {
			n = last + 1
		}
		if r.lastName.CompareAndSwap(last, n) {
			return n
		}
	}
}

// reference is the involvedObject of an event about obj.
func reference(obj runtime.Object) (corev1.ObjectReference, error) {
	m, err := meta.Accessor(obj)
	if err != nil {
		return corev1.ObjectReference{}, fmt.Errorf("event object %T: %w", obj, err)
	}
	gvk := obj.GetObjectKind().GroupVersionKind()
	if gvk.Kind == "" {
		kinds, _, err := v1.Scheme.ObjectKinds(obj)
		if err != nil || len(kinds) == 0 {
			return corev1.ObjectReference{}, fmt.Errorf("event object %T: unknown kind: %w", obj, err)
		}
		gvk = kinds[0]
	}
	apiVersion, kind := gvk.ToAPIVersionAndKind()
	return corev1.ObjectReference{Kind: kind, APIVersion: apiVersion, Namespace: m.GetNamespace(),
		Name: m.GetName(), UID: m.GetUID(), ResourceVersion: m.GetResourceVersion()}, nil
}
