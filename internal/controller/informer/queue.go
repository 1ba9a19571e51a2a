package informer

import (
	"sync"
	"time"

	"k8s.io/utils/clock"
)

// Queue is a keyed work queue: a key is queued at most once, handed to one
// worker at a time, and queued again after Done if it was added meanwhile.
// AddAfter keeps the earliest pending deadline per key (retry backoff).
type Queue struct {
	clock clock.WithDelayedExecution

	mu         sync.Mutex
	cond       *sync.Cond
	order      []string
	queued     map[string]bool
	processing map[string]bool
	redo       map[string]bool // added while processing
	waiting    map[string]delay
	seq        uint64
	shutdown   bool
}

type delay struct {
	at    time.Time
	id    uint64 // tells a superseded timer apart
	timer clock.Timer
}

// NewQueue makes a queue whose delays run on c (nil: the real clock).
func NewQueue(c clock.WithDelayedExecution) *Queue {
	if c == nil {
		c = clock.RealClock{}
	}
	q := &Queue{clock: c, queued: map[string]bool{}, processing: map[string]bool{},
		redo: map[string]bool{}, waiting: map[string]delay{}}
	q.cond = sync.NewCond(&q.mu)
	return q
}

// Add queues key now.
func (q *Queue) Add(key string) {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.addLocked(key)
}

func (q *Queue) addLocked(key string) {
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
func (q *Queue) AddAfter(key string, d time.Duration) {
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
func (q *Queue) fire(key string, id uint64) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if w, ok := q.waiting[key]; !ok || w.id != id {
		return
	}
	delete(q.waiting, key)
	q.addLocked(key)
}

// Get blocks for the next key; ok is false once the queue is shut down.
func (q *Queue) Get() (key string, ok bool) {
	q.mu.Lock()
	defer q.mu.Unlock()
	for len(q.order) == 0 && !q.shutdown {
		q.cond.Wait()
	}
	return q.takeLocked()
}

// TryGet is Get without blocking: ok is false when no key is ready (tests
// drain a queue with it, step by step).
func (q *Queue) TryGet() (key string, ok bool) {
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.takeLocked()
}

func (q *Queue) takeLocked() (string, bool) {
	if q.shutdown || len(q.order) == 0 {
		return "", false
	}
	key := q.order[0]
	q.order = q.order[1:]
	delete(q.queued, key)
	q.processing[key] = true
	return key, true
}

// Done ends the processing of key.
func (q *Queue) Done(key string) {
	q.mu.Lock()
	defer q.mu.Unlock()
	delete(q.processing, key)
	if q.redo[key] {
		delete(q.redo, key)
		q.addLocked(key)
	}
}

// Len is the number of keys ready to be handed out.
func (q *Queue) Len() int {
	q.mu.Lock()
	defer q.mu.Unlock()
	return len(q.order)
}

// ShutDown wakes every Get and stops all timers; later adds are ignored.
func (q *Queue) ShutDown() {
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
