package vm

import (
	"context"
	"io"
	"log/slog"
	"sync"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/watch"
	testclock "k8s.io/utils/clock/testing"

	v1 "vigil.dev/vigil/api/v1"
	"vigil.dev/vigil/internal/client"
	"vigil.dev/vigil/internal/resource"
)

// recorded is one event the controller recorded.
type recorded struct {
	object, eventType, reason, message string
}

type fakeRecorder struct {
	mu     sync.Mutex
	events []recorded
}

func (r *fakeRecorder) Event(obj runtime.Object, eventType, reason, message string) {
	_, m := keyOf(obj)
	r.mu.Lock()
	defer r.mu.Unlock()
	r.events = append(r.events, recorded{m.GetName(), eventType, reason, message})
}

func (r *fakeRecorder) reasons() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []string
	for _, e := range r.events {
		out = append(out, e.reason)
	}
	return out
}

// harness drives a Controller step by step, without goroutines: it feeds
// the fake API's watch events to the informers and processes the queue
// until nothing is left, so every test is deterministic.
type harness struct {
	t      *testing.T
	ctx    context.Context
	api    *fakeAPI
	clock  *testclock.FakeClock
	rec    *fakeRecorder
	c      *Controller
	vmW    watch.Interface
	vmiW   watch.Interface
	jitter float64
	passes int // reconciles run so far
}

func newHarness(t *testing.T, api *fakeAPI) *harness {
	t.Helper()
	h := &harness{t: t, ctx: context.Background(), api: api, rec: &fakeRecorder{},
		clock: testclock.NewFakeClock(time.Date(2026, 5, 6, 7, 8, 9, 0, time.UTC))}
	h.c = NewController(api, Options{
		Clock: h.clock, Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
		Jitter: func() float64 { return h.jitter }, Recorder: h.rec,
		RetryDelay: time.Second, MaxRetryDelay: 8 * time.Second,
	})
	h.connect()
	return h
}

// connect lists both resources and opens the watches, as Informer.Run does.
func (h *harness) connect() {
	h.t.Helper()
	vmRV, err := h.c.vms.List(h.ctx)
	if err != nil {
		h.t.Fatal(err)
	}
	vmiRV, err := h.c.vmis.List(h.ctx)
	if err != nil {
		h.t.Fatal(err)
	}
	if h.vmW, err = h.api.Watch(h.ctx, resource.VirtualMachines, "", client.ListOptions{ResourceVersion: vmRV}); err != nil {
		h.t.Fatal(err)
	}
	if h.vmiW, err = h.api.Watch(h.ctx, resource.VirtualMachineInstances, "", client.ListOptions{ResourceVersion: vmiRV}); err != nil {
		h.t.Fatal(err)
	}
}

// pump hands every pending watch event to the informers; a failed watch
// fails the test unless allowErrors.
func (h *harness) pump(allowErrors bool) {
	h.t.Helper()
	for _, p := range []struct {
		w      watch.Interface
		handle func(watch.Event) (string, error)
	}{{h.vmW, h.c.vms.Handle}, {h.vmiW, h.c.vmis.Handle}} {
		for drained := false; !drained; {
			select {
			case ev, ok := <-p.w.ResultChan():
				if !ok {
					drained = true
					break
				}
				if _, err := p.handle(ev); err != nil && !allowErrors {
					h.t.Fatalf("watch event: %v", err)
				}
			default:
				drained = true
			}
		}
	}
}

// settle runs the controller until no work is left. A controller that
// keeps finding work is a hot loop and fails the test.
func (h *harness) settle() {
	h.t.Helper()
	for i := 0; ; i++ {
		if i > 200 {
			h.t.Fatalf("no convergence after %d reconciles (hot loop?)", i)
		}
		h.pump(false)
		if h.c.queue.Len() == 0 {
			return
		}
		key, _ := h.c.queue.Get()
		h.c.process(h.ctx, key)
		h.c.queue.Done(key)
		h.passes++
	}
}

// settleQuiet settles, then checks that settling again changes nothing:
// a converged controller makes no API calls at all.
func (h *harness) settleQuiet() {
	h.t.Helper()
	h.settle()
	before := h.api.totalCalls()
	h.c.queue.Add("default/vm1") // a spurious wake-up must be harmless
	h.settle()
	if after := h.api.totalCalls(); after != before {
		h.t.Fatalf("a converged controller made %d more API calls: %v", after-before, h.api.calls)
	}
}

// step moves the fake clock on; timers that come due queue their keys.
func (h *harness) step(d time.Duration) {
	h.clock.Step(d)
	h.settle()
}

func (h *harness) vm() *v1.VirtualMachine {
	h.t.Helper()
	vm := h.api.vm("default/vm1")
	if vm == nil {
		h.t.Fatal("the VM is gone")
	}
	return vm
}

func (h *harness) vmi() *v1.VirtualMachineInstance { return h.api.vmi("default/vm1") }

// setVMI changes the VMI as the node agent would.
func (h *harness) setVMI(change func(*v1.VirtualMachineInstance)) {
	h.api.mutate(resource.VirtualMachineInstances, "default/vm1", func(o runtime.Object) {
		change(o.(*v1.VirtualMachineInstance))
	})
}

func (h *harness) setVM(change func(*v1.VirtualMachine)) {
	h.api.mutate(resource.VirtualMachines, "default/vm1", func(o runtime.Object) {
		change(o.(*v1.VirtualMachine))
	})
}

func (h *harness) expectPrintable(want v1.VirtualMachinePrintableStatus) {
	h.t.Helper()
	if got := h.vm().Status.PrintableStatus; got != want {
		h.t.Fatalf("printableStatus %s, want %s", got, want)
	}
}
