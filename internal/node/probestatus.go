package node

import (
	"time"
	"unicode/utf8"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	v1 "vigil.dev/vigil/api/v1"
	"vigil.dev/vigil/internal/probe"
	"vigil.dev/vigil/internal/probe/prober"
)

// status.probes: the probe engine's view of a VMI's probes, for `vigil
// describe vmi`. Writing it on every probe would be a status write per
// probe (a thousand a second at 10,000 VMIs), so only what a reader must
// see at once is written at once: a result that changed, a transition, a
// new state. Run counts, probe times and outputs alone are written at most
// every probeStatusInterval.
const (
	probeStatusInterval = 10 * time.Second
	// maxStatusOutput bounds lastOutput in the status (the engine keeps up
	// to 10 KiB; events carry the rest).
	maxStatusOutput = 1 << 10
)

// Probe states in status.probes[].state.
const (
	probeStateProbing    = "Probing"
	probeStateSuppressed = "Suppressed"
	probeStateOnHold     = "OnHold"
	probeStateStopped    = "Stopped"
)

// probesChange says how the engine's view differs from the stored one.
type probesChange int

const (
	probesSame probesChange = iota
	// probesCounts: only run counts, probe times or outputs moved.
	probesCounts
	// probesResult: a result, a transition, a state or a setting changed.
	probesResult
)

// probeStatuses converts the engine's view; nil when the engine does not
// probe the VMI.
func probeStatuses(in []probe.ProbeStatus) []v1.ProbeStatus {
	if len(in) == 0 {
		return nil
	}
	out := make([]v1.ProbeStatus, 0, len(in))
	for _, p := range in {
		out = append(out, probeStatusOf(p))
	}
	return out
}

// probeStatusOf converts one probe's view. Times are cut to whole seconds,
// as the stored form has them, so that a stored status compares equal.
func probeStatusOf(p probe.ProbeStatus) v1.ProbeStatus {
	s := v1.ProbeStatus{
		Kind: string(p.Kind), Handler: handlerName(p.Type),
		InitialDelaySeconds: p.Probe.InitialDelaySeconds, TimeoutSeconds: p.Probe.TimeoutSeconds,
		PeriodSeconds: p.Probe.PeriodSeconds, SuccessThreshold: p.Probe.SuccessThreshold,
		FailureThreshold: p.Probe.FailureThreshold,
		Result:           p.Result.String(), State: probeState(p),
	}
	if !p.LastProbeTime.IsZero() {
		s.LastResult, s.LastOutput = lastResultName(p.LastResult), boundOutput(p.LastOutput)
		s.LastProbeTime = wholeSeconds(p.LastProbeTime)
	}
	if p.Run.Count > 0 {
		s.Run = &v1.ProbeRun{Result: p.Run.Result.String(), Count: p.Run.Count}
	}
	if !p.LastTransitionTime.IsZero() {
		s.LastTransitionTime = wholeSeconds(p.LastTransitionTime)
	}
	return s
}

// handlerName is the probe's handler as the spec names it.
func handlerName(t probe.Type) string {
	switch t {
	case probe.TypeHTTP:
		return "httpGet"
	case probe.TypeTCP:
		return "tcpSocket"
	case probe.TypePing:
		return "guestAgentPing"
	case probe.TypeExec:
		return "exec"
	}
	return string(t)
}

// lastResultName names an outcome; Error is a probe that could not run.
func lastResultName(r prober.Result) string {
	if r == prober.Unknown {
		return "Error"
	}
	return r.String()
}

func probeState(p probe.ProbeStatus) string {
	switch {
	case p.OnHold: // before Stopped: the stop that follows is the liveness failure's
		return probeStateOnHold
	case p.Stopped:
		return probeStateStopped
	case p.Suppressed:
		return probeStateSuppressed
	}
	return probeStateProbing
}

// boundOutput cuts s to maxStatusOutput bytes on a character boundary.
func boundOutput(s string) string {
	if len(s) <= maxStatusOutput {
		return s
	}
	cut := maxStatusOutput
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut]
}

func wholeSeconds(t time.Time) *metav1.Time {
	c := metav1.NewTime(t).Rfc3339Copy()
	return &c
}

// compareProbes classifies the difference between the stored view and the
// engine's. Pure.
func compareProbes(stored, current []v1.ProbeStatus) probesChange {
	if len(stored) != len(current) {
		return probesResult
	}
	change := probesSame
	for i := range stored {
		a, b := &stored[i], &current[i]
		if !sameResult(a, b) {
			return probesResult
		}
		if !sameCounts(a, b) {
			change = probesCounts
		}
	}
	return change
}

// sameResult compares what a reader must see at once.
func sameResult(a, b *v1.ProbeStatus) bool {
	return a.Kind == b.Kind && a.Handler == b.Handler && a.InitialDelaySeconds == b.InitialDelaySeconds &&
		a.TimeoutSeconds == b.TimeoutSeconds && a.PeriodSeconds == b.PeriodSeconds &&
		a.SuccessThreshold == b.SuccessThreshold && a.FailureThreshold == b.FailureThreshold &&
		a.Result == b.Result && a.LastResult == b.LastResult && a.State == b.State &&
		runResult(a.Run) == runResult(b.Run) && sameTime(a.LastTransitionTime, b.LastTransitionTime)
}

// sameCounts compares what may wait for probeStatusInterval.
func sameCounts(a, b *v1.ProbeStatus) bool {
	return runCount(a.Run) == runCount(b.Run) && a.LastOutput == b.LastOutput &&
		sameTime(a.LastProbeTime, b.LastProbeTime)
}

func runResult(r *v1.ProbeRun) string {
	if r == nil {
		return ""
	}
	return r.Result
}

func runCount(r *v1.ProbeRun) int32 {
	if r == nil {
		return 0
	}
	return r.Count
}

func sameTime(a, b *metav1.Time) bool {
	if a == nil || b == nil {
		return a == nil && b == nil
	}
	return a.Equal(b)
}

// probesUpdate is what one status write attempt did with status.probes.
type probesUpdate struct {
	// wrote: the attempt put the engine's view into the status.
	wrote bool
	// pending: only counts moved and they are not due yet.
	pending bool
}

// applyProbes puts the engine's view into the status when it changed a
// result, or when only counts moved and countsDue. A nil view (the engine
// does not probe the VMI, or no longer does) leaves the status as it is,
// so a VMI that ended keeps its last view of its probes. Pure.
func applyProbes(st *v1.VirtualMachineInstanceStatus, current []v1.ProbeStatus, countsDue bool) probesUpdate {
	if current == nil {
		return probesUpdate{}
	}
	switch compareProbes(st.Probes, current) {
	case probesResult:
		st.Probes = current
		return probesUpdate{wrote: true}
	case probesCounts:
		if countsDue {
			st.Probes = current
			return probesUpdate{wrote: true}
		}
		return probesUpdate{pending: true}
	}
	return probesUpdate{}
}
