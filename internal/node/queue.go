package node

import (
	"sync"
	"time"

	"k8s.io/apimachinery/pkg/types"
	"k8s.io/utils/clock"
)

// queue is a keyed work queue of VMI UIDs: a key waits at most once, is
// handed to one worker at a time, and comes back after Done if it was added
// while being worked on. AddAfter keeps the earliest pending deadline.
// (The VM controller has its own; client-go's workqueue would make all of
// client-go a dependency for these few lines.)
type queue struct {
	clock clock.WithDelayedExecution

	mu         sync.Mutex
	cond       *sync.Cond
	order      []types.UID
	queued     map[types.UID]bool
	processing map[types.UID]bool
	redo       map[types.UID]bool
	timers     map[types.UID]delayedAdd
	shutdown   bool
}

type delayedAdd struct {
	at    time.Time
	timer clock.Timer
}

func newQueue(c clock.WithDelayedExecution) *queue {
	q := &queue{clock: c, queued: map[types.UID]bool{}, processing: map[types.UID]bool{},
		redo: map[types.UID]bool{}, timers: map[types.UID]delayedAdd{}}
	q.cond = sync.NewCond(&q.mu)
	return q
}

// Add queues uid now.
func (q *queue) Add(uid types.UID) {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.addLocked(uid)
}

func (q *queue) addLocked(uid types.UID) {
	switch {
	case q.shutdown || q.queued[uid]:
	case q.processing[uid]:
		q.redo[uid] = true
	default:
		q.queued[uid] = true
		q.order = append(q.order, uid)
		q.cond.Signal()
	}
}

// AddAfter queues uid once d has passed, unless it is due earlier already.
// The clock is called without q.mu held: a fake clock runs callbacks under
// its own lock, and the callback takes q.mu.
func (q *queue) AddAfter(uid types.UID, d time.Duration) {
	if d <= 0 {
		q.Add(uid)
		return
	}
	at := q.clock.Now().Add(d)
	q.mu.Lock()
	if old, ok := q.timers[uid]; q.shutdown || ok && !old.at.After(at) {
		q.mu.Unlock()
		return
	}
	old := q.timers[uid]
	q.timers[uid] = delayedAdd{at: at}
	q.mu.Unlock()
	if old.timer != nil {
		old.timer.Stop()
	}
	t := q.clock.AfterFunc(d, func() { q.fire(uid, at) })
	q.mu.Lock()
	if cur, ok := q.timers[uid]; ok && cur.at.Equal(at) {
		cur.timer = t
		q.timers[uid] = cur
	}
	q.mu.Unlock()
}

func (q *queue) fire(uid types.UID, at time.Time) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if cur, ok := q.timers[uid]; !ok || !cur.at.Equal(at) {
		return // superseded by an earlier deadline
	}
	delete(q.timers, uid)
	q.addLocked(uid)
}

// Get blocks for the next key; ok is false once the queue is shut down.
func (q *queue) Get() (uid types.UID, ok bool) {
	q.mu.Lock()
	defer q.mu.Unlock()
	for len(q.order) == 0 && !q.shutdown {
		q.cond.Wait()
	}
	if q.shutdown {
		return "", false
	}
	uid, q.order = q.order[0], q.order[1:]
	delete(q.queued, uid)
	q.processing[uid] = true
	return uid, true
}

// Done ends the work on uid.
func (q *queue) Done(uid types.UID) {
	q.mu.Lock()
	defer q.mu.Unlock()
	delete(q.processing, uid)
	if q.redo[uid] {
		delete(q.redo, uid)
		q.addLocked(uid)
	}
}

// ShutDown wakes every Get and stops the timers; later adds are ignored.
func (q *queue) ShutDown() {
	q.mu.Lock()
	q.shutdown = true
	var timers []clock.Timer
	for uid, d := range q.timers {
		if d.timer != nil {
			timers = append(timers, d.timer)
		}
		delete(q.timers, uid)
	}
	q.cond.Broadcast()
	q.mu.Unlock()
	for _, t := range timers {
		t.Stop()
	}
}
