package probe

import (
	"time"

	"k8s.io/apimachinery/pkg/types"

	v1 "vigil.dev/vigil/api/v1"
	"vigil.dev/vigil/internal/probe/prober"
)

// ProbeStatus is what the engine knows of one probe of a VMI, for
// `vigil describe vmi` and the VMI's status.
type ProbeStatus struct {
	Kind Kind
	Type Type
	// Probe is the settings the engine runs, after defaults.
	Probe v1.Probe
	// Result is the published result: Success or Failure.
	Result prober.Result
	// LastResult and LastOutput are the last probe's outcome (Unknown for
	// an internal error); LastProbeTime is when it started. Zero before
	// the first probe.
	LastResult    prober.Result
	LastOutput    string
	LastProbeTime time.Time
	// Run is the current streak of equal results.
	Run Run
	// LastTransitionTime is when Result last changed; zero if never.
	LastTransitionTime time.Time
	// NextProbeTime is when the next probe is due; zero while one runs or
	// when none will.
	NextProbeTime time.Time
	// OnHold: liveness failed and the VMI is being stopped.
	OnHold bool
	// Stopped: the VMI is stopping; no more probes.
	Stopped bool
	// Suppressed: a guestAgentPing answered Success while the VMI is paused.
	Suppressed bool
}

// Status describes the probes of a VMI, readiness first; nil for a VMI the
// engine does not probe.
func (m *Manager) Status(uid types.UID) []ProbeStatus {
	e := m.lookup(uid)
	if e == nil {
		return nil
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	var out []ProbeStatus
	for _, w := range e.workers() {
		s := w.state.Snapshot()
		out = append(out, ProbeStatus{Kind: w.kind, Type: w.typ, Probe: *w.spec.DeepCopy(), Result: s.Published,
			LastResult: s.Last.Result, LastOutput: s.Last.Output, LastProbeTime: s.LastProbe, Run: s.Run,
			LastTransitionTime: s.LastTransition, NextProbeTime: s.Next, OnHold: s.Hold, Stopped: s.Stopped,
			Suppressed: e.suppressed(w)})
	}
	return out
}
