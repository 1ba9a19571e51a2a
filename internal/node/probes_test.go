package node

import (
	"context"
	"errors"
	"net/netip"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/util/intstr"

	v1 "vigil.dev/vigil/api/v1"
	"vigil.dev/vigil/internal/probe"
	"vigil.dev/vigil/internal/probe/prober"
	"vigil.dev/vigil/internal/qemu"
)

// runningVMI stores vmi as Running on this node with the given conditions
// and gives the agent a record of it as if its QEMU ran: a Process value
// that was never started (nothing here may talk to QEMU).
func (ta *testAgent) runningVMI(vmi *v1.VirtualMachineInstance, conds ...v1.VirtualMachineInstanceCondition) (*v1.VirtualMachineInstance, *vmiState) {
	vmi.Status.Phase, vmi.Status.NodeName, vmi.Status.Conditions = v1.Running, "n1", conds
	stored := ta.create(vmi)
	st := ta.newState(stored, nil)
	st.proc = &qemu.Process{}
	ta.putState(st)
	return stored, st
}

func httpProbe() *v1.Probe {
	return &v1.Probe{Handler: v1.Handler{HTTPGet: &corev1.HTTPGetAction{Port: intstr.FromInt32(1500)}}}
}

func readyCond(status corev1.ConditionStatus, reason, message string) v1.VirtualMachineInstanceCondition {
	return v1.VirtualMachineInstanceCondition{Type: v1.VirtualMachineInstanceReady, Status: status, Reason: reason, Message: message}
}

func TestReadinessIsStoredAtOnceInOneWrite(t *testing.T) {
	ta := newTestAgent(t)
	v := newVMI("a", "a", "tiny")
	v.Spec.ReadinessProbe = httpProbe()
	vmi, _ := ta.runningVMI(v, readyCond(corev1.ConditionFalse, ReasonReadinessProbePending, "pending"))

	steps := []struct {
		ready           bool
		reason, message string
		writes          int
	}{
		{true, "", "", 1},
		{false, probe.ReasonReadinessProbeFailed, "Readiness probe failed: HTTP probe failed with statuscode: 500", 2},
		{false, probe.ReasonReadinessProbeFailed, "Readiness probe failed: HTTP probe failed with statuscode: 500", 2}, // no change, no write
	}
	for _, s := range steps {
		ta.SetReady(vmi.UID, s.ready, s.reason, s.message)
		got := ta.api.get("ns", "a")
		want := corev1.ConditionFalse
		if s.ready {
			want = corev1.ConditionTrue
		}
		c := cond(got, v1.VirtualMachineInstanceReady)
		if c == nil || c.Status != want || c.Reason != s.reason || c.Message != s.message {
			t.Errorf("after SetReady(%v): Ready %+v", s.ready, c)
		}
		// The write happens before SetReady returns, in one round trip:
		// no read first, no queue in between.
		if gets, writes := ta.api.calls(); gets != 0 || writes != s.writes {
			t.Errorf("after SetReady(%v): %d gets and %d status writes, want 0 and %d", s.ready, gets, writes, s.writes)
		}
	}
}

func TestReadinessWriteRetriesAfterAConflict(t *testing.T) {
	ta := newTestAgent(t)
	v := newVMI("a", "a", "tiny")
	v.Spec.ReadinessProbe = httpProbe()
	vmi, _ := ta.runningVMI(v, readyCond(corev1.ConditionFalse, ReasonReadinessProbePending, "pending"))
	// Someone else writes the status; the agent's cache does not know yet.
	other := ta.api.get("ns", "a")
	other.Status.GuestOSInfo.Name = "written by someone else"
	if err := ta.api.UpdateStatus(context.Background(), nil, other); err != nil {
		t.Fatal(err)
	}

	ta.SetReady(vmi.UID, true, "", "")
	got := ta.api.get("ns", "a")
	if c := cond(got, v1.VirtualMachineInstanceReady); c == nil || c.Status != corev1.ConditionTrue {
		t.Errorf("Ready %+v after a conflict", c)
	}
	if got.Status.GuestOSInfo.Name != "written by someone else" {
		t.Error("the retry overwrote the other writer's status")
	}
	if gets, _ := ta.api.calls(); gets != 1 {
		t.Errorf("%d gets, want 1 (the read after the conflict)", gets)
	}
}

func TestStatusWritesFailOverToTheWorker(t *testing.T) {
	ta := newTestAgent(t)
	v := newVMI("a", "a", "tiny")
	v.Spec.ReadinessProbe = httpProbe()
	vmi, st := ta.runningVMI(v)
	ta.api.mu.Lock()
	delete(ta.api.vmis, "ns/a") // the write fails: NotFound
	ta.api.mu.Unlock()
	if err := ta.SetReadiness(vmi.UID, Readiness{Ready: true}); err != nil {
		t.Fatal(err)
	}
	if !ta.queue.Queued(vmi.UID) {
		t.Error("a failed write did not queue the VMI for its worker")
	}
	if r := st.observation().Readiness; r == nil || !r.Ready {
		t.Errorf("the observation lost the published readiness: %+v", r)
	}
}

// realProbes is a probe engine whose probers always succeed, on the test's
// fake clock (no probe runs unless the test moves the clock).
func realProbes(ta *testAgent) *probe.Manager {
	m := probe.NewManager(probe.Options{Effects: ta.Agent, Clock: ta.clock,
		Build:  func(probe.Binding) (prober.Prober, error) { return succeed{}, nil },
		Jitter: func() float64 { return 0.5 }, Logger: ta.log})
	ta.Agent.probes = m
	return m
}

type succeed struct{}

func (succeed) Probe(context.Context) prober.Outcome { return prober.Outcome{Result: prober.Success} }

func TestRestartKeepsReadyAndStopTakesItDown(t *testing.T) {
	ta := newTestAgent(t)
	m := realProbes(ta)
	defer m.Stop()
	v := newVMI("a", "a", "tiny")
	v.Spec.ReadinessProbe, v.Spec.LivenessProbe = httpProbe(), httpProbe()
	vmi, st := ta.runningVMI(v, readyCond(corev1.ConditionTrue, "", ""))

	// Reattached at the daemon's start: readiness resumes from the stored
	// condition, which the engine announces; nothing is written.
	st.obs.Readiness = publishedReadiness(vmi)
	ta.startProbing(st, vmi, true)
	if err := ta.syncStatus(context.Background(), ta.cache.get(vmi.UID), st); err != nil { // the worker's first pass
		t.Fatal(err)
	}
	sameReady(t, vmi, ta.api.get("ns", "a"))

	// A stop begins: Ready is False in the API before beginStop returns,
	// with the engine's reason, and no probe runs any more.
	if err := ta.beginStop(context.Background(), ta.cache.get(vmi.UID), st); err != nil {
		t.Fatal(err)
	}
	c := cond(ta.api.get("ns", "a"), v1.VirtualMachineInstanceReady)
	if c.Status != corev1.ConditionFalse || c.Reason != ReasonTerminating {
		t.Errorf("Ready %+v once the stop began", c)
	}
	for _, ps := range m.Status(vmi.UID) {
		if !ps.Stopped {
			t.Errorf("%s probe still runs after Stopping", ps.Kind)
		}
	}
}

func TestRestartOfAnUnreadyVMIKeepsItsCondition(t *testing.T) {
	ta := newTestAgent(t)
	m := realProbes(ta)
	defer m.Stop()
	v := newVMI("a", "a", "tiny")
	v.Spec.ReadinessProbe = httpProbe()
	vmi, st := ta.runningVMI(v, readyCond(corev1.ConditionFalse, ReasonReadinessProbePending, "the readiness probe has not succeeded yet"))
	st.obs.Readiness = publishedReadiness(vmi)
	ta.startProbing(st, vmi, true)
	if err := ta.syncStatus(context.Background(), ta.cache.get(vmi.UID), st); err != nil { // the worker's first pass
		t.Fatal(err)
	}
	sameReady(t, vmi, ta.api.get("ns", "a"))
}

// sameReady fails unless the Ready condition is exactly as it was.
func sameReady(t *testing.T, before, after *v1.VirtualMachineInstance) {
	t.Helper()
	b, a := cond(before, v1.VirtualMachineInstanceReady), cond(after, v1.VirtualMachineInstanceReady)
	if a == nil || a.Status != b.Status || a.Reason != b.Reason || a.Message != b.Message ||
		!a.LastTransitionTime.Equal(&b.LastTransitionTime) {
		t.Errorf("the restore changed Ready: %+v, was %+v", a, b)
	}
}

func TestStartProbingHandsOverTheVMI(t *testing.T) {
	ta := newTestAgent(t)
	v := newVMI("a", "a", "tiny")
	v.Spec.LivenessProbe = &v1.Probe{Handler: v1.Handler{GuestAgentPing: &v1.GuestAgentPing{}}}
	vmi, st := ta.runningVMI(v)
	st.net = &netInfo{Name: "default", IP: netip.MustParseAddr("10.89.0.7")}
	st.obs.Paused = true

	ta.startProbing(st, vmi, true)
	if got := ta.probes.took(); strings.Join(got, ",") != "add uid-a,pause uid-a" {
		t.Errorf("calls %q: want the VMI added, then paused", got)
	}
	add := ta.probes.added[0]
	if add.target.IP != "10.89.0.7" || !add.restarted {
		t.Errorf("added with target %+v restarted %v", add.target, add.restarted)
	}
	// Without a process to read, the delay counts from now.
	if !add.started.Equal(ta.clock.Now()) {
		t.Errorf("started %v, want %v", add.started, ta.clock.Now())
	}
	if _, err := add.agent(); !errors.Is(err, errNoAgentChannel) {
		t.Errorf("agent of a VMI without a channel: %v", err)
	}

	plain, pst := ta.runningVMI(newVMI("b", "b", "tiny"))
	ta.startProbing(pst, plain, false)
	if got := ta.probes.took(); len(got) != 0 {
		t.Errorf("a VMI without probes reached the engine: %q", got)
	}
}

func TestSyncAndForgetReachTheEngine(t *testing.T) {
	ta := newTestAgent(t)
	v := newVMI("a", "a", "tiny")
	v.Annotations = map[string]string{v1.PauseGuestAgentProbesAnnotation: "true"}
	vmi, _ := ta.runningVMI(v)
	if err := ta.reconcile(context.Background(), vmi.UID); err != nil {
		t.Fatal(err)
	}
	ta.dropState(vmi.UID)
	if got := ta.probes.took(); strings.Join(got, ",") != "update uid-a true,remove uid-a" {
		t.Errorf("calls %q", got)
	}
}

func TestPauseMakesTheVMINotReady(t *testing.T) {
	ta := newTestAgent(t)
	vmi, st := ta.runningVMI(newVMI("a", "a", "tiny"), readyCond(corev1.ConditionTrue, "", ""))

	ta.setPaused(st, true)
	got := ta.api.get("ns", "a")
	wantCond(t, got, v1.VirtualMachineInstancePaused, corev1.ConditionTrue, ReasonPausedByUser)
	wantCond(t, got, v1.VirtualMachineInstanceReady, corev1.ConditionFalse, ReasonPaused)
	if err := ta.Pause(context.Background(), "ns", "a"); !apierrors.IsConflict(err) || !strings.Contains(err.Error(), msgAlreadyPaused) {
		t.Errorf("pausing a paused VMI: %v", err)
	}

	ta.setPaused(st, false)
	got = ta.api.get("ns", "a")
	wantCond(t, got, v1.VirtualMachineInstancePaused, "", "")
	wantCond(t, got, v1.VirtualMachineInstanceReady, corev1.ConditionTrue, "")
	if err := ta.Unpause(context.Background(), "ns", "a"); !apierrors.IsConflict(err) || !strings.Contains(err.Error(), msgNotPaused) {
		t.Errorf("unpausing a running VMI: %v", err)
	}
	if got := ta.probes.took(); strings.Join(got, ",") != "pause "+string(vmi.UID)+",unpause "+string(vmi.UID) {
		t.Errorf("engine calls %q", got)
	}
	if err := ta.Pause(context.Background(), "ns", "nosuch"); !apierrors.IsNotFound(err) {
		t.Errorf("pausing an unknown VMI: %v", err)
	}
}

func TestProbeTracedQueuesOnAChange(t *testing.T) {
	ta := newTestAgent(t)
	vmi, _ := ta.runningVMI(newVMI("a", "a", "tiny"))
	uid := vmi.UID
	drain := func() bool {
		queued := ta.queue.Queued(uid)
		if queued {
			got, _ := ta.queue.Get()
			ta.queue.Done(got)
		}
		return queued
	}
	steps := []struct {
		kind      probe.Kind
		result    prober.Result
		published bool
		queued    bool
	}{
		{probe.Readiness, prober.Failure, false, true}, // the first
		{probe.Readiness, prober.Failure, false, false},
		{probe.Liveness, prober.Success, false, true}, // the first of its kind
		{probe.Readiness, prober.Failure, true, true}, // published
		{probe.Readiness, prober.Success, false, true},
	}
	for i, s := range steps {
		ta.probeTraced(probe.Trace{UID: uid, Kind: s.kind, Result: s.result, Published: s.published})
		if got := drain(); got != s.queued {
			t.Errorf("step %d: queued %v, want %v", i, got, s.queued)
		}
	}
	if _, ok := ta.queue.Due(uid); !ok {
		t.Error("a probe with an unchanged result did not arm the delayed status write")
	}
}

func TestProbeStatusIsWrittenOnChangesAndThrottled(t *testing.T) {
	ta := newTestAgent(t)
	v := newVMI("a", "a", "tiny")
	v.Spec.ReadinessProbe = httpProbe()
	vmi, st := ta.runningVMI(v)
	spec := probe.Defaulted(httpProbe())
	view := func(last prober.Result, count int32, at time.Time) probe.ProbeStatus {
		return probe.ProbeStatus{Kind: probe.Readiness, Type: probe.TypeHTTP, Probe: spec, Result: prober.Failure,
			LastResult: last, LastOutput: "out", LastProbeTime: at, Run: probe.Run{Result: last, Count: count}}
	}
	sync := func() (writes int) {
		t.Helper()
		if err := ta.syncStatus(context.Background(), ta.cache.get(vmi.UID), st); err != nil {
			t.Fatal(err)
		}
		_, writes = ta.api.calls()
		return writes
	}

	ta.probes.setStatus(vmi.UID, view(prober.Failure, 1, t0))
	base := sync()
	if got := ta.api.get("ns", "a").Status.Probes; len(got) != 1 || got[0].Run.Count != 1 || got[0].Handler != "httpGet" {
		t.Fatalf("status.probes %+v", got)
	}
	// Only the count moved: no write yet, but one is arranged.
	ta.probes.setStatus(vmi.UID, view(prober.Failure, 2, t0.Add(2*time.Second)))
	if w := sync(); w != base {
		t.Errorf("a count alone was written at once (%d writes, want %d)", w, base)
	}
	if at, ok := ta.queue.Due(vmi.UID); !ok || !at.Equal(t0.Add(probeStatusInterval)) {
		t.Errorf("delayed write at %v (pending %v), want at %v", at, ok, t0.Add(probeStatusInterval))
	}
	ta.clock.Step(probeStatusInterval)
	if w := sync(); w != base+1 || ta.api.get("ns", "a").Status.Probes[0].Run.Count != 2 {
		t.Errorf("the count was not written once due: %d writes", w)
	}
	// A result that changed is written at once.
	ta.probes.setStatus(vmi.UID, view(prober.Success, 1, t0.Add(12*time.Second)))
	if w := sync(); w != base+2 || ta.api.get("ns", "a").Status.Probes[0].LastResult != "Success" {
		t.Errorf("a changed result was not written at once: %d writes", w)
	}
}

func TestEngineReadinessDropsTheNodesPassingWords(t *testing.T) {
	tests := []struct {
		ready           bool
		reason, message string
		want            Readiness
	}{
		{true, "", "", Readiness{Ready: true}},
		{false, probe.ReasonReadinessProbeFailed, "Readiness probe failed: x", Readiness{Reason: probe.ReasonReadinessProbeFailed, Message: "Readiness probe failed: x"}},
		{false, ReasonTerminating, "the VMI is stopping", Readiness{Reason: ReasonTerminating, Message: "the VMI is stopping"}},
		{false, ReasonPaused, "the virtual machine is paused", Readiness{Reason: ReasonReadinessProbePending, Message: pendingMessage}},
		{false, v1.GuestNotRunningReason, "x", Readiness{Reason: ReasonReadinessProbePending, Message: pendingMessage}},
	}
	for _, tt := range tests {
		if got := engineReadiness(tt.ready, tt.reason, tt.message); got != tt.want {
			t.Errorf("engineReadiness(%v, %q): %+v, want %+v", tt.ready, tt.reason, got, tt.want)
		}
	}
}
