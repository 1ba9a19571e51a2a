package probe

import (
	"container/heap"
	"time"
)

// queue holds every worker with a probe due, ordered by due time: the
// dispatcher needs only the earliest, and adding, removing or popping a
// worker costs O(log n). Each worker is in it at most once (index >= 0).
type queue struct {
	items []*worker
}

// queueItems is the heap.Interface view of the queue.
type queueItems []*worker

func (q queueItems) Len() int { return len(q) }
func (q queueItems) Less(i, j int) bool {
	if q[i].due.Equal(q[j].due) {
		return q[i].seq < q[j].seq // equal times: first queued, first run
	}
	return q[i].due.Before(q[j].due)
}
func (q queueItems) Swap(i, j int) {
	q[i], q[j] = q[j], q[i]
	q[i].index, q[j].index = i, j
}
func (q *queueItems) Push(x any) {
	w := x.(*worker)
	w.index = len(*q)
	*q = append(*q, w)
}
func (q *queueItems) Pop() any {
	old := *q
	w := old[len(old)-1]
	old[len(old)-1] = nil
	*q = old[:len(old)-1]
	w.index = -1
	return w
}

func (q *queue) h() *queueItems { return (*queueItems)(&q.items) }

// push queues w, due at. A worker already queued is moved.
func (q *queue) push(w *worker, at time.Time, seq uint64) {
	if w.index >= 0 {
		w.due, w.seq = at, seq
		heap.Fix(q.h(), w.index)
		return
	}
	w.due, w.seq = at, seq
	heap.Push(q.h(), w)
}

// remove takes w out of the queue if it is there.
func (q *queue) remove(w *worker) {
	if w.index >= 0 {
		heap.Remove(q.h(), w.index)
	}
}

// peek is the earliest worker, nil when none is queued.
func (q *queue) peek() *worker {
	if len(q.items) == 0 {
		return nil
	}
	return q.items[0]
}

// pop removes and returns the earliest worker.
func (q *queue) pop() *worker {
	return heap.Pop(q.h()).(*worker)
}

func (q *queue) len() int { return len(q.items) }
