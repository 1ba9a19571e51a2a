package probe

import (
	"slices"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/types"

	v1 "vigil.dev/vigil/api/v1"
)

func TestManagerScheduleIsExact(t *testing.T) {
	h := newHarness(t, nil)
	p := h.script("a", Readiness, S)
	h.clk.SetTime(t0.Add(1300 * time.Millisecond)) // the engine learns of the VMI 1.3 s after its start
	h.m.AddVMI(vmi("a", "one", httpProbe(5, 10, 1, 3), nil), Target{IP: "10.0.0.2"}, t0, nil, false)
	h.settle()
	h.advance(5*sec - time.Nanosecond)
	if got := p.callTimes(); len(got) != 0 {
		t.Fatalf("probed before the initial delay: %v", got)
	}
	h.advance(5 * sec)
	h.advance(15*sec - time.Nanosecond)
	h.advance(15 * sec)
	h.advance(40 * sec) // a jump over two periods runs one probe, not a burst
	h.advance(45 * sec)
	h.advance(55 * sec)
	want := durations(5*sec, 15*sec, 40*sec, 55*sec)
	if got := p.callTimes(); !slices.Equal(got, want) {
		t.Fatalf("probes at %v, want %v", got, want)
	}
	ready := h.fx.of("SetReady")
	if len(ready) != 1 || !ready[0].Ready || !ready[0].At.Equal(at(5*sec)) {
		t.Fatalf("SetReady calls %+v, want one Ready at 5s", ready)
	}
}

func TestManagerReadinessThresholdsAndEvents(t *testing.T) {
	h := newHarness(t, nil)
	h.script("a", Readiness, S, S, S, F, F, F, S, S, S)
	h.m.AddVMI(vmi("a", "one", httpProbe(0, 10, 3, 3), nil), Target{IP: "10.0.0.2"}, t0, nil, false)
	h.settle()
	for i := 1; i <= 8; i++ {
		h.advance(time.Duration(i) * 10 * sec)
	}
	var got []string
	for _, c := range h.fx.of("SetReady") {
		got = append(got, c.At.Sub(t0).String()+"="+map[bool]string{true: "ready", false: "unready:" + c.Reason}[c.Ready])
	}
	want := []string{"20s=ready", "50s=unready:ReadinessProbeFailed", "1m20s=ready"}
	if !slices.Equal(got, want) {
		t.Fatalf("SetReady %v, want %v", got, want)
	}
	evs := h.fx.of("Event")
	if len(evs) != 3 {
		t.Fatalf("events %+v, want one Unhealthy per failed probe", evs)
	}
	for _, e := range evs {
		if e.Reason != ReasonUnhealthy || e.Message != "Readiness probe failed: fake Failure" {
			t.Errorf("event %+v", e)
		}
	}
	if msg := h.fx.of("SetReady")[1].Message; msg != "Readiness probe failed: fake Failure" {
		t.Errorf("SetReady(false) message %q", msg)
	}
}

func TestManagerLivenessFailureStopsVMI(t *testing.T) {
	h := newHarness(t, nil)
	h.script("a", Readiness, S)
	live := h.script("a", Liveness, S, F, F, F)
	h.m.AddVMI(vmi("a", "one", httpProbe(5, 10, 1, 3), httpProbe(0, 10, 1, 3)), Target{IP: "10.0.0.2"}, t0, nil, false)
	h.settle()
	for i := 1; i <= 12; i++ {
		h.advance(time.Duration(i) * 5 * sec)
	}
	if got := live.callTimes(); !slices.Equal(got, durations(0, 10*sec, 20*sec, 30*sec)) {
		t.Fatalf("liveness probes at %v: no probe may follow the published failure", got)
	}
	if got := h.prober("a", Readiness).callTimes(); !slices.Equal(got, durations(5*sec, 15*sec, 25*sec)) {
		t.Fatalf("readiness probes at %v: readiness stops with the liveness failure", got)
	}
	var ops []string
	for _, c := range h.fx.of("") {
		if c.Op != "Event" {
			ops = append(ops, c.Op+"@"+c.At.Sub(t0).String()+":"+c.Reason)
		}
	}
	want := []string{"SetReady@5s:", "SetReady@30s:LivenessProbeFailed", "LivenessFailed@30s:"}
	if !slices.Equal(ops, want) {
		t.Fatalf("effects %v, want %v", ops, want)
	}
	if msg := h.fx.of("LivenessFailed")[0].Message; msg != "Liveness probe failed: fake Failure" {
		t.Fatalf("LivenessFailed message %q", msg)
	}
	st := h.m.Status("a")
	if len(st) != 2 || !st[1].OnHold || st[1].Result != F || !st[0].Stopped || st[0].Result != F {
		t.Fatalf("status %+v", st)
	}
}

func TestManagerStopping(t *testing.T) {
	h := newHarness(t, nil)
	h.script("a", Readiness, S)
	live := h.script("a", Liveness, F)
	h.m.AddVMI(vmi("a", "one", httpProbe(0, 10, 1, 3), httpProbe(0, 10, 1, 3)), Target{IP: "10.0.0.2"}, t0, nil, false)
	h.settle()
	h.advance(10 * sec)
	h.m.Stopping("a")
	// SetReady(false) is made before Stopping returns, not at the next probe.
	ready := h.fx.of("SetReady")
	if len(ready) != 2 || ready[1].Ready || ready[1].Reason != ReasonTerminating {
		t.Fatalf("SetReady calls %+v, want Ready then not ready (Terminating)", ready)
	}
	h.settle()
	h.advance(20 * sec)
	h.advance(30 * sec)
	if got := live.callTimes(); len(got) != 2 {
		t.Fatalf("liveness probed at %v after Stopping", got)
	}
	if len(h.fx.of("LivenessFailed")) != 0 {
		t.Fatalf("liveness killed a VMI that was already stopping")
	}
	h.m.Stopping("a") // again: nothing more
	if n := len(h.fx.of("SetReady")); n != 2 {
		t.Fatalf("%d SetReady calls after a second Stopping", n)
	}
}

func TestManagerRemoveStopsProbing(t *testing.T) {
	h := newHarness(t, nil)
	p := h.script("a", Readiness, S, F)
	q := h.script("b", Readiness, S)
	h.m.AddVMI(vmi("a", "one", httpProbe(0, 10, 1, 1), nil), Target{IP: "10.0.0.2"}, t0, nil, false)
	h.m.AddVMI(vmi("b", "two", httpProbe(0, 10, 1, 1), nil), Target{IP: "10.0.0.3"}, t0, nil, false)
	h.settle()
	h.m.RemoveVMI("a")
	h.settle()
	before := len(h.fx.of(""))
	h.advance(10 * sec)
	h.advance(20 * sec)
	if got := p.callTimes(); len(got) != 1 {
		t.Fatalf("removed VMI probed at %v", got)
	}
	if got := q.callTimes(); len(got) != 3 {
		t.Fatalf("the other VMI probed at %v, want 3 probes", got)
	}
	for _, c := range h.fx.of("")[before:] {
		if c.UID == "a" {
			t.Fatalf("effect %+v for a removed VMI", c)
		}
	}
	if st := h.m.Status("a"); st != nil {
		t.Fatalf("status of a removed VMI: %+v", st)
	}
}

func TestManagerNewUIDStartsFresh(t *testing.T) {
	h := newHarness(t, nil)
	h.script("old", Liveness, F)
	h.script("new", Liveness, F)
	h.m.AddVMI(vmi("old", "vm", nil, httpProbe(0, 10, 1, 3)), Target{IP: "10.0.0.2"}, t0, nil, false)
	h.settle()
	h.advance(10 * sec) // two failures on the old VMI
	h.advance(15 * sec)
	// a new VMI of the same name replaces the old one
	h.m.AddVMI(vmi("new", "vm", nil, httpProbe(0, 10, 1, 3)), Target{IP: "10.0.0.2"}, at(15*sec), nil, false)
	h.settle()
	h.advance(25 * sec)
	if n := len(h.fx.of("LivenessFailed")); n != 0 {
		t.Fatalf("LivenessFailed after one failure of the new VMI: the old run leaked")
	}
	if st := h.m.Status("old"); st != nil {
		t.Fatalf("the old VMI is still probed: %+v", st)
	}
	if st := h.m.Status("new"); len(st) != 1 || st[0].Run != (Run{Result: F, Count: 2}) {
		t.Fatalf("new VMI status %+v, want a run of two failures", st)
	}
	h.advance(35 * sec)
	lf := h.fx.of("LivenessFailed")
	if len(lf) != 1 || lf[0].UID != "new" || !lf[0].At.Equal(at(35*sec)) {
		t.Fatalf("LivenessFailed %+v, want the new VMI at 35s", lf)
	}
}

func TestManagerInternalErrorsRetriedThenDiscarded(t *testing.T) {
	h := newHarness(t, nil)
	p := h.script("a", Readiness, U)
	h.m.AddVMI(vmi("a", "one", httpProbe(0, 10, 1, 1), nil), Target{IP: "10.0.0.2"}, t0, nil, false)
	h.settle()
	h.advance(10 * sec)
	if got := p.callTimes(); !slices.Equal(got, durations(0, 0, 0, 10*sec, 10*sec, 10*sec)) {
		t.Fatalf("probes at %v, want three attempts per period", got)
	}
	if n := len(h.fx.of("SetReady")); n != 0 {
		t.Fatalf("internal errors changed readiness (%d SetReady)", n)
	}
	evs := h.fx.of("Event")
	if len(evs) != 2 || evs[0].Message != "Readiness probe errored: fake Unknown" {
		t.Fatalf("events %+v, want one Unhealthy \"errored\" per given-up probe", evs)
	}
	if st := h.m.Status("a"); st[0].Run.Count != 0 || st[0].LastResult != U {
		t.Fatalf("status %+v", st[0])
	}
}

func TestManagerOverrunDelaysNextProbe(t *testing.T) {
	h := newHarness(t, nil)
	p := h.script("a", Readiness, S)
	calls := 0
	p.during = func() {
		if calls++; calls == 2 {
			h.clk.Step(13 * sec) // the second probe (at 10 s) ends at 23 s
		}
	}
	h.m.AddVMI(vmi("a", "one", &v1.Probe{Handler: v1.Handler{Exec: &corev1.ExecAction{Command: []string{"true"}}},
		PeriodSeconds: 10}, nil), Target{}, t0, nil, false)
	h.settle()
	h.advance(10 * sec)
	h.advance(30 * sec)
	h.advance(33 * sec)
	if got := p.callTimes(); !slices.Equal(got, durations(0, 10*sec, 23*sec, 33*sec)) {
		t.Fatalf("probes at %v: after an overrun the next starts when the last ended", got)
	}
}

func TestManagerConcurrencyBound(t *testing.T) {
	h := newHarness(t, func(o *Options) { o.MaxConcurrent = 2 })
	// One fake serves all five VMIs, so it sees the real concurrency.
	shared := &fakeProber{clk: h.clk, gate: make(chan struct{}), started: make(chan struct{}, 10)}
	for i := range 5 {
		uid := string(rune('a' + i))
		h.probers[uid+"/Readiness"] = shared
		h.m.AddVMI(vmi(uid, uid, httpProbe(0, 10, 1, 1), nil), Target{IP: "10.0.0.2"}, t0, nil, false)
	}
	<-shared.started
	<-shared.started
	// The dispatcher has popped a third worker and waits for a free slot.
	waitFor(t, func() bool { h.m.mu.Lock(); defer h.m.mu.Unlock(); return h.m.inflight == 3 })
	if n := len(shared.callTimes()); n != 2 {
		t.Fatalf("%d probes running with MaxConcurrent 2", n)
	}
	for range 3 {
		shared.gate <- struct{}{}
		<-shared.started
	}
	shared.gate <- struct{}{}
	shared.gate <- struct{}{}
	h.settle()
	if n := len(shared.callTimes()); n != 5 {
		t.Fatalf("%d probes ran, want 5", n)
	}
	if shared.maxRun != 2 {
		t.Fatalf("at most %d probes ran at once, want 2", shared.maxRun)
	}
	if n := len(h.fx.of("SetReady")); n != 5 {
		t.Fatalf("%d SetReady, want 5", n)
	}
}

func TestManagerSpreadOnlyAfterRestart(t *testing.T) {
	h := newHarness(t, func(o *Options) { o.Jitter = func() float64 { return 0.25 } })
	fresh := h.script("new", Readiness, S)
	old := h.script("old", Readiness, F)
	h.clk.SetTime(at(time.Hour))
	h.m.AddVMI(vmi("new", "new", httpProbe(0, 20, 1, 2), nil), Target{IP: "10.0.0.2"}, at(time.Hour), nil, false)
	running := vmi("old", "old", httpProbe(0, 20, 1, 2), nil)
	running.Status.Conditions = []v1.VirtualMachineInstanceCondition{{Type: v1.VirtualMachineInstanceReady, Status: corev1.ConditionTrue}}
	h.m.AddVMI(running, Target{IP: "10.0.0.3"}, t0, nil, true)
	h.settle()
	// The stored Ready condition is announced at once: the restart cuts no traffic.
	if r := readyOf(h.fx, "old"); len(r) != 1 || !r[0].Ready || !r[0].At.Equal(at(time.Hour)) {
		t.Fatalf("SetReady %+v, want the restarted VMI announced Ready when added", r)
	}
	h.advance(time.Hour + 5*sec)
	h.advance(time.Hour + 20*sec)
	h.advance(time.Hour + 25*sec)
	if got := fresh.callTimes(); !slices.Equal(got, durations(time.Hour, time.Hour+20*sec)) {
		t.Fatalf("new VMI probed at %v: a new VMI is never jittered", got)
	}
	if got := old.callTimes(); !slices.Equal(got, durations(time.Hour+5*sec, time.Hour+25*sec)) {
		t.Fatalf("restarted VMI probed at %v, want a quarter period late", got)
	}
	if r := readyOf(h.fx, "old"); len(r) != 2 || r[1].Ready || !r[1].At.Equal(at(time.Hour+25*sec)) {
		t.Fatalf("SetReady %+v, want the restarted VMI unready after two failures", r)
	}
}

func TestManagerPausedPingIsSuccess(t *testing.T) {
	h := newHarness(t, nil)
	p := h.script("a", Readiness, F)
	v := vmi("a", "one", pingProbe(10, 1), nil)
	h.m.AddVMI(v, Target{}, t0, nil, false)
	h.settle()
	h.m.Pause("a")
	h.advance(10 * sec)
	if n := len(p.callTimes()); n != 1 {
		t.Fatalf("the agent was pinged %d times; while paused it must not be", n)
	}
	if r := h.fx.of("SetReady"); len(r) != 1 || !r[0].Ready {
		t.Fatalf("SetReady %+v, want Ready while paused", r)
	}
	if st := h.m.Status("a"); !st[0].Suppressed {
		t.Fatalf("status does not say the probe is suppressed")
	}
	h.m.Unpause("a")
	h.advance(20 * sec)
	if r := h.fx.of("SetReady"); len(r) != 2 || r[1].Ready {
		t.Fatalf("SetReady %+v, want unready after unpausing", r)
	}
	v.Annotations = map[string]string{v1.PauseGuestAgentProbesAnnotation: "true"}
	h.m.UpdateVMI(v)
	h.advance(30 * sec)
	if r := h.fx.of("SetReady"); len(r) != 3 || !r[2].Ready {
		t.Fatalf("SetReady %+v, want Ready under the annotation", r)
	}
	if n := len(p.callTimes()); n != 2 {
		t.Fatalf("agent pinged %d times, want 2", n)
	}
	var pingEvents int
	for _, e := range h.fx.of("Event") {
		if e.Reason == ReasonGuestAgentPingFailed {
			pingEvents++
		}
	}
	if pingEvents != 2 {
		t.Fatalf("%d GuestAgentPingFailed events, want one per failed ping (2)", pingEvents)
	}
}

func TestManagerEffectsMayCallBack(t *testing.T) {
	h := newHarness(t, nil)
	h.fx.hook = func(c call) {
		if c.Op == "LivenessFailed" {
			h.m.Stopping(c.UID) // as a node agent might, from inside the call
			h.m.Status(c.UID)
		}
	}
	h.script("a", Liveness, F)
	h.m.AddVMI(vmi("a", "one", nil, httpProbe(0, 10, 1, 1)), Target{IP: "10.0.0.2"}, t0, nil, false)
	h.settle()
	if n := len(h.fx.of("LivenessFailed")); n != 1 {
		t.Fatalf("%d LivenessFailed calls", n)
	}
}

func TestManagerStatus(t *testing.T) {
	h := newHarness(t, nil)
	h.script("a", Readiness, S, F)
	h.m.AddVMI(vmi("a", "one", httpProbe(3, 0, 0, 0), nil), Target{IP: "10.0.0.2"}, t0, nil, false)
	h.settle()
	st := h.m.Status("a")
	if len(st) != 1 {
		t.Fatalf("status %+v", st)
	}
	s := st[0]
	if s.Kind != Readiness || s.Type != TypeHTTP || s.Result != F || !s.NextProbeTime.Equal(at(3*sec)) {
		t.Fatalf("status before the first probe %+v", s)
	}
	p := s.Probe
	if p.PeriodSeconds != 10 || p.TimeoutSeconds != 1 || p.SuccessThreshold != 1 || p.FailureThreshold != 3 ||
		p.HTTPGet.Path != "/" || p.HTTPGet.Scheme != corev1.URISchemeHTTP {
		t.Fatalf("settings after defaults %+v", p)
	}
	h.advance(3 * sec)
	h.advance(13 * sec)
	s = h.m.Status("a")[0]
	if s.Result != S || s.LastResult != F || s.LastOutput != "fake Failure" || !s.LastProbeTime.Equal(at(13*sec)) ||
		s.Run != (Run{Result: F, Count: 1}) || !s.LastTransitionTime.Equal(at(3*sec)) || !s.NextProbeTime.Equal(at(23*sec)) {
		t.Fatalf("status %+v", s)
	}
	if h.m.Status("nobody") != nil {
		t.Fatalf("status of an unknown VMI")
	}
}

func TestManagerIgnoresVMIsWithoutProbes(t *testing.T) {
	h := newHarness(t, nil)
	h.m.AddVMI(vmi("a", "one", nil, nil), Target{IP: "10.0.0.2"}, t0, nil, false)
	h.m.AddVMI(nil, Target{}, t0, nil, false)
	h.settle()
	if st := h.m.Status("a"); st != nil {
		t.Fatalf("status %+v for a VMI without probes", st)
	}
}

// readyOf is the SetReady calls about uid.
func readyOf(fx *fakeEffects, uid types.UID) []call {
	var out []call
	for _, c := range fx.of("SetReady") {
		if c.UID == uid {
			out = append(out, c)
		}
	}
	return out
}

// waitFor waits until cond holds; the deadline only guards against a hang.
func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("condition not reached")
		}
		time.Sleep(50 * time.Microsecond)
	}
}
