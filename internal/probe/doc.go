// Package probe is the probe engine: it runs the readiness and liveness
// probes of the VMIs on this node and turns their outcomes into effects
// (the VMI's Ready condition, the stop of a VMI whose liveness failed,
// events) and metrics. docs/probe-semantics.md is its contract.
//
// It owns the schedule, thresholds and published results of every probe.
// It must not touch VMIs, the store or QEMU: what its decisions do goes
// through the Effects interface, which the node agent implements. The
// probers themselves (HTTP, TCP, guest-agent ping, exec) are in
// internal/probe/prober; this package only resolves their targets (the
// probe's host or the VMI's IP, named ports through the VMI's interface
// ports) and runs them.
//
// The layout follows kubelet's prober (pkg/kubelet/prober), with its
// policy split from its mechanism, and etcd-raft's rule that the state
// machine never reads the clock:
//   - state.go: one worker's decisions as a pure state machine (State):
//     when the next probe is due, and what an outcome changes. Every time
//     is an input; tables test it.
//   - manager.go, entry.go, dispatch.go, queue.go, control.go: the
//     Manager. One dispatcher goroutine with a min-heap of workers by due
//     time and one timer (from an injected clock.Clock) starts each due
//     probe in its own goroutine, at most MaxConcurrent at once. Why not
//     kubelet's goroutine and ticker per worker: at 10,000 VMIs that is
//     20,000 sleeping goroutines and tickers whose wake-ups bunch; the
//     heap costs a small struct per worker and O(log n) per probe, and
//     keeps probe lateness low because nothing else competes to wake up.
//   - target.go: building a prober for a probe of a VMI.
//   - metrics.go, status.go: Prometheus collectors and the per-probe view
//     for `vigil describe vmi`.
//
// Decisions (beyond kubelet's):
//   - Effects are delivered from the probe's goroutine right after the
//     decision, through a per-VMI queue that keeps them in order and out
//     of every lock (so an Effects implementation may call back into the
//     Manager). The time from a publishing probe's end to the return of
//     its effect is the vigil_probe_reaction_seconds histogram.
//   - Events: like kubelet, every failed probe asks for an Unhealthy event
//     ("Readiness probe failed: <output>"), every warning for ProbeWarning,
//     every failed guestAgentPing also for GuestAgentPingFailed, and an
//     internal error given up after three attempts for Unhealthy
//     ("... probe errored: ..."). The event recorder (internal/events)
//     counts repeats of the same event on one stored Event, so a probe
//     failing for an hour is one event with a count, not 360 events. A
//     change of the published result is also a SetReady call (the Ready
//     condition), or for liveness a LivenessFailed call.
//   - A liveness Failure first publishes readiness False (reason
//     LivenessProbeFailed) so traffic stops before the VM does.
//   - After a daemon restart readiness starts from the VMI's stored Ready
//     condition and announces it once, so a restart cuts no traffic.
package probe
