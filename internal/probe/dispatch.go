package probe

import (
	"context"
	"sync/atomic"
	"time"

	"k8s.io/utils/clock"

	v1 "vigil.dev/vigil/api/v1"
	"vigil.dev/vigil/internal/probe/prober"
)

// dispatch is the scheduler goroutine: it sleeps until the earliest worker
// is due, then starts its probe in a goroutine of its own once a slot
// (MaxConcurrent) is free.
func (m *Manager) dispatch() {
	defer close(m.dispatchDone)
	for {
		w, timer := m.next()
		if w != nil {
			select {
			case m.slots <- struct{}{}:
				go m.run(w)
			case <-m.ctx.Done():
				m.finish()
				return
			}
			continue
		}
		var fired <-chan time.Time
		if timer != nil {
			fired = timer.C()
		}
		select {
		case <-fired:
		case <-m.wake:
		case <-m.ctx.Done():
			if timer != nil {
				timer.Stop()
			}
			return
		}
		if timer != nil {
			timer.Stop()
		}
	}
}

// next pops the earliest worker if it is due, or else arms a timer for it
// (nil when the queue is empty) and records that the dispatcher sleeps.
func (m *Manager) next() (*worker, clock.Timer) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.sleeping, m.poked = false, false
	now := m.clock.Now()
	top := m.queue.peek()
	if top != nil && !top.due.After(now) {
		m.queue.pop()
		m.inflight++
		m.runs.Add(1)
		return top, nil
	}
	m.sleeping, m.armedFor = true, top
	if top == nil {
		return nil, nil
	}
	return nil, m.clock.NewTimer(top.due.Sub(now))
}

// poke wakes the dispatcher to look at the queue again. Call with m.mu held.
func (m *Manager) poke() {
	m.poked = true
	select {
	case m.wake <- struct{}{}:
	default:
	}
}

// finish accounts for a popped worker whose run is over.
func (m *Manager) finish() {
	m.mu.Lock()
	m.inflight--
	m.mu.Unlock()
	m.runs.Done()
}

// reschedule queues w for its next probe, if it has one and its VMI is
// still probed. Call with w.vmi.mu held.
func (m *Manager) reschedule(w *worker) {
	at, ok := w.state.Next()
	if !ok || w.vmi.removed {
		return
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.stopped {
		return
	}
	m.seq++
	m.queue.push(w, at, m.seq)
	if m.queue.peek() == w {
		m.poke()
	}
}

// unqueue takes w out of the queue. Call with m.mu held.
func (m *Manager) unqueue(w *worker) {
	wasTop := m.queue.peek() == w
	m.queue.remove(w)
	if wasTop {
		m.poke()
	}
}

// run carries out one probe of w: begin, probe, observe, effects, and the
// next schedule.
func (m *Manager) run(w *worker) {
	defer m.finish()
	defer func() { <-m.slots }()
	e := w.vmi
	e.mu.Lock()
	start := m.clock.Now()
	scheduled, ok := time.Time{}, false
	if !e.removed {
		scheduled, ok = w.state.Begin(start)
	}
	suppressed := e.suppressed(w)
	if !ok {
		m.reschedule(w) // too early (nothing else refuses and is still due)
		e.mu.Unlock()
		return
	}
	e.mu.Unlock()
	m.metrics.lateness.Observe(start.Sub(scheduled).Seconds())

	out := m.probe(e, w, suppressed)
	end := m.clock.Now()
	w.metrics.count(out.Result)
	w.metrics.duration.Observe(end.Sub(start).Seconds())

	var reaction atomic.Int64
	e.mu.Lock()
	step := w.state.Observe(out, start, end)
	m.applyStep(w, step, end, &reaction)
	e.mu.Unlock()
	m.deliver(e)

	e.mu.Lock()
	m.reschedule(w)
	e.mu.Unlock()
	if m.trace != nil {
		m.trace(Trace{UID: e.uid, Kind: w.kind, Type: w.typ, Scheduled: scheduled, Started: start, Ended: end,
			Result: out.Result, Published: step.Publish != nil, Reaction: time.Duration(reaction.Load())})
	}
}

// probe runs the prober under timeoutSeconds, or answers for a suppressed
// guestAgentPing.
func (m *Manager) probe(e *vmiEntry, w *worker, suppressed bool) prober.Outcome {
	if suppressed {
		return prober.Outcome{Result: prober.Success, Output: "guest agent probes are paused"}
	}
	ctx, cancel := context.WithTimeout(e.ctx, w.timing.Timeout)
	defer cancel()
	return w.prober.Probe(ctx)
}

// applyStep queues the effects of one observation. A published liveness
// Failure first takes readiness down (traffic stops before the VM does),
// then asks for the stop. Call with w.vmi.mu held.
func (m *Manager) applyStep(w *worker, step Step, end time.Time, reaction *atomic.Int64) {
	e := w.vmi
	if step.Publish != nil {
		r := *step.Publish
		m.log.Info("probe result changed", "vmi", e.key(), "uid", e.uid, "probe", w.kind, "result", r, "output", step.Message)
		switch {
		case w.kind == Readiness:
			reason := ReasonReadinessProbeFailed
			if r == prober.Success {
				reason = ""
			}
			m.metrics.setReady(e.namespace, e.name, r == prober.Success)
			e.enqueue(effect{op: opSetReady, ready: r == prober.Success, reason: reason, message: step.Message,
				since: end, reaction: reaction})
		case r == prober.Failure:
			m.stopReadiness(e, end, v1.LivenessProbeFailedReason, step.Message)
			e.enqueue(effect{op: opLivenessFailed, message: step.Message, since: end, reaction: reaction})
		}
	}
	for _, ev := range step.Events {
		e.enqueue(effect{op: opEvent, eventType: ev.Type, reason: ev.Reason, message: ev.Message})
	}
}

// stopReadiness stops the VMI's readiness worker, publishing Failure with
// reason. Call with e.mu held.
func (m *Manager) stopReadiness(e *vmiEntry, now time.Time, reason, message string) {
	r := e.readiness
	if r == nil {
		return
	}
	step := r.state.Stop(now, message)
	m.mu.Lock()
	m.unqueue(r)
	m.mu.Unlock()
	if step.Publish != nil {
		m.metrics.setReady(e.namespace, e.name, false)
		e.enqueue(effect{op: opSetReady, ready: false, reason: reason, message: step.Message, since: now})
	}
}
