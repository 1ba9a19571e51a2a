package informer

import (
	"sync"
	"time"

	"k8s.io/utils/clock"
)

// TypedQueue is a keyed work queue: a key is queued at most once, handed
// to one worker at a time, and queued again after Done if it was added
// meanwhile. AddAfter keeps the earliest pending deadline per key (retry
// backoff). K is the key's type, e.g. string or types.UID.
type TypedQueue[K ~string] struct {
	clock clock.WithDelayedExecution

	mu         sync.Mutex
	cond       *sync.Cond
	order      []K
	queued     map[K]bool
	processing map[K]bool
	redo       map[K]bool // added while processing
	waiting    map[K]delay
	seq        uint64
	shutdown   bool
}

// Queue is the work queue of controllers keyed by Key ("namespace/name").
type Queue = TypedQueue[string]

type delay struct {
	at    time.Time
	id    uint64 // tells a superseded timer apart
	timer clock.Timer
}

// NewQueue makes a queue whose delays run on c (nil: the real clock).
func NewQueue(c clock.WithDelayedExecution) *Queue { return NewTypedQueue[string](c) }

// NewTypedQueue makes a queue of keys of type K whose delays run on c
// (nil: the real clock).
func NewTypedQueue[K ~string](c clock.WithDelayedExecution) *TypedQueue[K] {
	if c == nil {
		c = clock.RealClock{}
	}
	q := &TypedQueue[K]{clock: c, queued: map[K]bool{}, processing: map[K]bool{},
		redo: map[K]bool{}, waiting: map[K]delay{}}
	q.cond = sync.NewCond(&q.mu)
	return q
}

// Add queues key now.
func (q *TypedQueue[K]) Add(key K) {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.addLocked(key)
}

func (q *TypedQueue[K]) addLocked(key K) {
	switch {
	case q.shutdown || q.queued[key]:
	case q.processing[key]:
		q.redo[key] = true
	default:
		q.queued[key] = true
		q.order = append(q.order, key)
		q.cond.Signal()
	}
}

// AddAfter queues key once d has passed, unless an earlier deadline for it
// is pending already. The clock is never called with q.mu held: a fake
// clock runs timer callbacks under its own lock, and those take q.mu.
func (q *TypedQueue[K]) AddAfter(key K, d time.Duration) {
	if d <= 0 {
		q.Add(key)
		return
	}
	at := q.clock.Now().Add(d)
	q.mu.Lock()
	old, pending := q.waiting[key]
	if q.shutdown || (pending && !old.at.After(at)) {
		q.mu.Unlock()
		return
	}
	q.seq++
	id := q.seq
	q.waiting[key] = delay{at: at, id: id}
	q.mu.Unlock()

	if old.timer != nil {
		old.timer.Stop()
	}
	timer := q.clock.AfterFunc(d, func() { q.fire(key, id) })
	q.mu.Lock()
	defer q.mu.Unlock()
	if w, ok := q.waiting[key]; ok && w.id == id {
		w.timer = timer
		q.waiting[key] = w
	}
}

// fire runs when a delay is over; a superseded delay does nothing.
func (q *TypedQueue[K]) fire(key K, id uint64) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if w, ok := q.waiting[key]; !ok || w.id != id {
		return
	}
	delete(q.waiting, key)
	q.addLocked(key)
}

// Get blocks for the next key; ok is false once the queue is shut down.
func (q *TypedQueue[K]) Get() (key K, ok bool) {
	q.mu.Lock()
	defer q.mu.Unlock()
	for len(q.order) == 0 && !q.shutdown {
		q.cond.Wait()
	}
	return q.takeLocked()
}

// TryGet is Get without blocking: ok is false when no key is ready (tests
// drain a queue with it, step by step).
func (q *TypedQueue[K]) TryGet() (key K, ok bool) {
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.takeLocked()
}

func (q *TypedQueue[K]) takeLocked() (K, bool) {
	if q.shutdown || len(q.order) == 0 {
		var none K
		return none, false
	}
	key := q.order[0]
	q.order = q.order[1:]
	delete(q.queued, key)
	q.processing[key] = true
	return key, true
}

// Done ends the processing of key.
func (q *TypedQueue[K]) Done(key K) {
	q.mu.Lock()
	defer q.mu.Unlock()
	delete(q.processing, key)
	if q.redo[key] {
		delete(q.redo, key)
		q.addLocked(key)
	}
}

// Len is the number of keys ready to be handed out.
func (q *TypedQueue[K]) Len() int {
	q.mu.Lock()
	defer q.mu.Unlock()
	return len(q.order)
}

// Queued reports whether key waits to be handed out (tests check with it
// that something asked for a key to be worked on).
func (q *TypedQueue[K]) Queued(key K) bool {
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.queued[key]
}

// Due is the deadline of key's pending AddAfter, if one is pending.
func (q *TypedQueue[K]) Due(key K) (time.Time, bool) {
	q.mu.Lock()
	defer q.mu.Unlock()
	w, ok := q.waiting[key]
	return w.at, ok
}

// ShutDown wakes every Get and stops all timers; later adds are ignored.
func (q *TypedQueue[K]) ShutDown() {
	q.mu.Lock()
	q.shutdown = true
	var timers []clock.Timer
	for k, w := range q.waiting {
		if w.timer != nil {
			timers = append(timers, w.timer)
		}
		delete(q.waiting, k)
	}
	q.cond.Broadcast()
	q.mu.Unlock()
	for _, t := range timers {
		t.Stop()
	}
}
