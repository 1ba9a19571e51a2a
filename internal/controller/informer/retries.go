package informer

import (
	"context"
	"sync"
	"time"
)

// Work hands the queue's keys to process, one key at a time each, until
// the queue shuts down. Run it from as many goroutines as workers are
// wanted; the queue never gives one key to two of them at once.
func (q *TypedQueue[K]) Work(ctx context.Context, process func(ctx context.Context, key K)) {
	for {
		key, ok := q.Get()
		if !ok {
			return
		}
		process(ctx, key)
		q.Done(key)
	}
}

// Retries counts the consecutive failures of each key and says how long to
// wait before the next try: Base, doubled at each failure, at most Max.
// The zero value is not usable; set Base and Max.
type Retries[K comparable] struct {
	Base, Max time.Duration

	mu       sync.Mutex
	failures map[K]int
}

// Failed records a failure of key and returns the delay before its retry.
func (r *Retries[K]) Failed(key K) time.Duration {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.failures == nil {
		r.failures = map[K]int{}
	}
	n := min(r.failures[key], 20) // 2^20 × Base is past any sane Max
	r.failures[key]++
	return min(r.Base<<n, r.Max)
}

// Forget ends the count of key after a success.
func (r *Retries[K]) Forget(key K) {
	r.mu.Lock()
	delete(r.failures, key)
	r.mu.Unlock()
}
