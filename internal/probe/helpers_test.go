package probe

import (
	"context"
	"fmt"
	"log/slog"
	"runtime"
	"sync"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/intstr"
	clocktesting "k8s.io/utils/clock/testing"

	corev1 "k8s.io/api/core/v1"

	v1 "vigil.dev/vigil/api/v1"
	"vigil.dev/vigil/internal/probe/prober"
)

// call is one Effects call as the fake saw it.
type call struct {
	UID     types.UID
	Op      string // SetReady, LivenessFailed, Event
	Ready   bool
	Reason  string
	Message string
	At      time.Time
}

// fakeEffects records Effects calls; hook, if set, runs inside each call.
type fakeEffects struct {
	clk   *clocktesting.FakeClock
	mu    sync.Mutex
	calls []call
	hook  func(c call)
}

func (f *fakeEffects) add(c call) {
	c.At = f.clk.Now()
	f.mu.Lock()
	f.calls = append(f.calls, c)
	hook := f.hook
	f.mu.Unlock()
	if hook != nil {
		hook(c)
	}
}

func (f *fakeEffects) SetReady(uid types.UID, ready bool, reason, message string) {
	f.add(call{UID: uid, Op: "SetReady", Ready: ready, Reason: reason, Message: message})
}
func (f *fakeEffects) LivenessFailed(uid types.UID, message string) {
	f.add(call{UID: uid, Op: "LivenessFailed", Message: message})
}
func (f *fakeEffects) Event(uid types.UID, eventType, reason, message string) {
	f.add(call{UID: uid, Op: "Event", Reason: reason, Message: message})
}

// of returns the calls of op (all ops when op is "").
func (f *fakeEffects) of(op string) []call {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []call
	for _, c := range f.calls {
		if op == "" || c.Op == op {
			out = append(out, c)
		}
	}
	return out
}

// fakeProber answers from a script (the last entry repeats) and records
// the clock at each call. If gate is set, each probe waits for a value
// from it (or its context).
type fakeProber struct {
	clk    *clocktesting.FakeClock
	mu     sync.Mutex
	script []prober.Result
	times  []time.Time
	gate   chan struct{}
	// during, if set, runs inside Probe (to move the clock mid-probe).
	during  func()
	running int
	maxRun  int
	started chan struct{}
}

func (p *fakeProber) Probe(ctx context.Context) prober.Outcome {
	p.mu.Lock()
	p.times = append(p.times, p.clk.Now())
	r := prober.Success
	if n := len(p.times); len(p.script) > 0 {
		r = p.script[min(n, len(p.script))-1]
	}
	p.running++
	p.maxRun = max(p.maxRun, p.running)
	gate, during, started := p.gate, p.during, p.started
	p.mu.Unlock()
	defer func() {
		p.mu.Lock()
		p.running--
		p.mu.Unlock()
	}()
	if started != nil {
		started <- struct{}{}
	}
	if gate != nil {
		select {
		case <-gate:
		case <-ctx.Done():
			return prober.Outcome{Result: prober.Unknown, Output: "canceled"}
		}
	}
	if during != nil {
		during()
	}
	return prober.Outcome{Result: r, Output: "fake " + r.String()}
}

// callTimes is when the prober was called, as offsets from t0.
func (p *fakeProber) callTimes() []time.Duration {
	p.mu.Lock()
	defer p.mu.Unlock()
	out := make([]time.Duration, len(p.times))
	for i, t := range p.times {
		out[i] = t.Sub(t0)
	}
	return out
}

// harness is a manager on a fake clock with fake probers per (uid, kind).
type harness struct {
	t       *testing.T
	clk     *clocktesting.FakeClock
	fx      *fakeEffects
	m       *Manager
	mu      sync.Mutex
	probers map[string]*fakeProber
	binds   []Binding
}

func newHarness(t *testing.T, mod func(*Options)) *harness {
	t.Helper()
	clk := clocktesting.NewFakeClock(t0)
	h := &harness{t: t, clk: clk, fx: &fakeEffects{clk: clk}, probers: map[string]*fakeProber{}}
	opts := Options{Effects: h.fx, Clock: clk, Build: h.build, Logger: slog.New(slog.DiscardHandler),
		Jitter: func() float64 { t.Error("jitter used for a VMI that is not restarted"); return 0 }}
	if mod != nil {
		mod(&opts)
	}
	h.m = NewManager(opts)
	t.Cleanup(h.m.Stop)
	return h
}

func (h *harness) build(b Binding) (prober.Prober, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.binds = append(h.binds, b)
	return h.prober(b.VMI.UID, b.Kind), nil
}

// prober is the fake for (uid, kind), made on first use.
func (h *harness) prober(uid types.UID, k Kind) *fakeProber {
	key := fmt.Sprintf("%s/%s", uid, k)
	p := h.probers[key]
	if p == nil {
		p = &fakeProber{clk: h.clk}
		h.probers[key] = p
	}
	return p
}

// script sets what the fake for (uid, kind) answers; call before AddVMI.
func (h *harness) script(uid types.UID, k Kind, rs ...prober.Result) *fakeProber {
	h.mu.Lock()
	defer h.mu.Unlock()
	p := h.prober(uid, k)
	p.script = rs
	return p
}

// settle waits until the manager is quiet: no probe or effect in flight
// and the dispatcher asleep on a timer for the earliest due worker. The
// fake clock does not move meanwhile, so this waits on the manager's own
// progress only; the deadline is a guard against a hang, never a timing.
func (h *harness) settle() {
	h.t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !h.m.quiet() {
		if time.Now().After(deadline) {
			h.t.Fatalf("manager did not settle")
		}
		runtime.Gosched()
		time.Sleep(20 * time.Microsecond)
	}
}

// advance moves the fake clock to t0+d and settles.
func (h *harness) advance(d time.Duration) {
	h.t.Helper()
	h.clk.SetTime(t0.Add(d))
	h.settle()
}

// quiet reports whether nothing will happen until the clock moves.
func (m *Manager) quiet() bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	if !m.sleeping || m.poked || m.inflight > 0 {
		return false
	}
	top := m.queue.peek()
	if top == nil {
		return m.armedFor == nil
	}
	return top == m.armedFor && top.due.After(m.clock.Now())
}

// vmi builds a VMI with the given probes.
func vmi(uid, name string, readiness, liveness *v1.Probe) *v1.VirtualMachineInstance {
	return &v1.VirtualMachineInstance{
		ObjectMeta: metav1.ObjectMeta{Namespace: "default", Name: name, UID: types.UID(uid)},
		Spec:       v1.VirtualMachineInstanceSpec{ReadinessProbe: readiness, LivenessProbe: liveness},
	}
}

func httpProbe(delay, period, success, failure int32) *v1.Probe {
	return &v1.Probe{Handler: v1.Handler{HTTPGet: &corev1.HTTPGetAction{Port: intstr.FromInt32(80)}},
		InitialDelaySeconds: delay, PeriodSeconds: period, SuccessThreshold: success, FailureThreshold: failure}
}

func pingProbe(period, failure int32) *v1.Probe {
	return &v1.Probe{Handler: v1.Handler{GuestAgentPing: &v1.GuestAgentPing{}}, PeriodSeconds: period, FailureThreshold: failure}
}

func durations(ds ...time.Duration) []time.Duration { return ds }
