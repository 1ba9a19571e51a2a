package vm

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"

	v1 "vigil.dev/vigil/api/v1"
	"vigil.dev/vigil/internal/resource"
)

func newVMObject(s v1.VirtualMachineRunStrategy) *v1.VirtualMachine {
	return &v1.VirtualMachine{
		ObjectMeta: metav1.ObjectMeta{Name: "vm1", Namespace: "default"},
		Spec: v1.VirtualMachineSpec{
			RunStrategy: &s,
			Template: &v1.VirtualMachineInstanceTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: map[string]string{"app": "web"}},
			},
		},
	}
}

// startWith makes a harness with one VM of strategy s and settles it.
func startWith(t *testing.T, s v1.VirtualMachineRunStrategy, api *fakeAPI) *harness {
	t.Helper()
	if api == nil {
		api = newFakeAPI()
	}
	if err := api.Create(context.Background(), resource.VirtualMachines, newVMObject(s)); err != nil {
		t.Fatal(err)
	}
	h := newHarness(t, api)
	h.settle()
	return h
}

// run marks the VMI Running (and Ready) as the node agent does.
func (h *harness) run() {
	h.setVMI(func(vmi *v1.VirtualMachineInstance) {
		vmi.Status.Phase = v1.Running
		vmi.Status.PhaseTransitionTimestamps = append(vmi.Status.PhaseTransitionTimestamps,
			v1.VirtualMachineInstancePhaseTransitionTimestamp{Phase: v1.Running})
		vmi.Status.Conditions = []v1.VirtualMachineInstanceCondition{{Type: v1.VirtualMachineInstanceReady, Status: corev1.ConditionTrue}}
	})
	h.settle()
}

func (h *harness) end(phase v1.VirtualMachineInstancePhase) {
	h.setVMI(func(vmi *v1.VirtualMachineInstance) {
		vmi.Status.Phase = phase
		vmi.Status.Conditions = nil
	})
	h.settle()
}

// request applies a subresource request the way the API server does.
func (h *harness) request(fn func(*v1.VirtualMachine, *v1.VirtualMachineInstance, time.Time) error) {
	h.t.Helper()
	vm := h.vm()
	if err := fn(vm, h.vmi(), h.clock.Now()); err != nil {
		h.t.Fatal(err)
	}
	spec := vm.DeepCopy()
	if err := h.api.UpdateStatus(h.ctx, resource.VirtualMachines, vm); err != nil {
		h.t.Fatal(err)
	}
	spec.ResourceVersion = vm.ResourceVersion
	if err := h.api.Update(h.ctx, resource.VirtualMachines, spec); err != nil {
		h.t.Fatal(err)
	}
	h.settle()
}

func TestAlwaysCreatesAVMIAndMirrorsIt(t *testing.T) {
	h := startWith(t, v1.RunStrategyAlways, nil)
	vmi := h.vmi()
	if vmi == nil || vmi.Status.Phase != v1.Pending {
		t.Fatalf("VMI %+v, want a Pending VMI", vmi)
	}
	if ref := metav1.GetControllerOf(vmi); ref == nil || ref.UID != h.vm().UID || vmi.Labels[NameLabel] != "vm1" {
		t.Fatalf("VMI owner %+v labels %v", ref, vmi.Labels)
	}
	if s := h.vm().Status; !s.Created || s.PrintableStatus != v1.VirtualMachineStatusStarting {
		t.Fatalf("status %+v, want created and Starting", s)
	}
	want := recorded{"vm1", corev1.EventTypeNormal, ReasonSuccessfulCreate,
		"Started the virtual machine by creating the new virtual machine instance vm1"}
	if len(h.rec.events) != 1 || h.rec.events[0] != want {
		t.Fatalf("events %+v, want %+v", h.rec.events, want)
	}

	h.run()
	h.settleQuiet()
	s := h.vm().Status
	if !s.Ready || s.PrintableStatus != v1.VirtualMachineStatusRunning || s.Conditions[0].Status != corev1.ConditionTrue {
		t.Fatalf("status %+v, want Running and ready", s)
	}
	if n := h.api.callCount("create virtualmachineinstances"); n != 1 {
		t.Fatalf("%d VMI creates, want 1", n)
	}
}

func TestAlwaysReplacesAnEndedVMI(t *testing.T) {
	for _, phase := range []v1.VirtualMachineInstancePhase{v1.Failed, v1.Succeeded} {
		t.Run(string(phase), func(t *testing.T) {
			h := startWith(t, v1.RunStrategyAlways, nil)
			h.run()
			first := h.vmi().UID
			h.end(phase)
			h.settleQuiet()
			next := h.vmi()
			if next == nil || next.UID == first || next.Status.Phase != v1.Pending {
				t.Fatalf("VMI %+v, want a new Pending one (old uid %s)", next, first)
			}
			if h.vm().Status.StartFailure != nil {
				t.Fatalf("a VMI that ran counted as a start failure: %+v", h.vm().Status.StartFailure)
			}
			want := []string{ReasonSuccessfulCreate, ReasonSuccessfulDelete, ReasonSuccessfulCreate}
			if got := h.rec.reasons(); strings.Join(got, ",") != strings.Join(want, ",") {
				t.Fatalf("events %v, want %v", got, want)
			}
			if !strings.Contains(h.rec.events[1].message, string(first)) {
				t.Fatalf("delete event %q does not name uid %s", h.rec.events[1].message, first)
			}
		})
	}
}

func TestAlwaysRecreatesAVMIDeletedByTheUser(t *testing.T) {
	h := startWith(t, v1.RunStrategyAlways, nil)
	h.run()
	first := h.vmi().UID
	h.api.remove(resource.VirtualMachineInstances, "default/vm1")
	h.settleQuiet()
	if vmi := h.vmi(); vmi == nil || vmi.UID == first {
		t.Fatalf("VMI %+v, want a new one", vmi)
	}
}

func TestCrashLoopBackoffHoldsStarts(t *testing.T) {
	h := startWith(t, v1.RunStrategyAlways, nil)
	for i, wait := range []time.Duration{10 * time.Second, 40 * time.Second} {
		h.end(v1.Failed) // never ran
		if h.vmi() != nil {
			t.Fatalf("failure %d: the failed VMI was not removed", i+1)
		}
		h.expectPrintable(v1.VirtualMachineStatusCrashLoopBackOff)
		if sf := h.vm().Status.StartFailure; sf == nil || sf.ConsecutiveFailCount != i+1 {
			t.Fatalf("failure %d: startFailure %+v", i+1, sf)
		}
		h.step(wait - time.Second)
		if h.vmi() != nil {
			t.Fatalf("failure %d: started before the backoff ended", i+1)
		}
		h.step(time.Second)
		if h.vmi() == nil {
			t.Fatalf("failure %d: not started when the backoff ended", i+1)
		}
		h.expectPrintable(v1.VirtualMachineStatusStarting)
	}
	h.run()
	h.settleQuiet()
	if sf := h.vm().Status.StartFailure; sf != nil {
		t.Fatalf("startFailure %+v kept after the VMI ran", sf)
	}
}

func TestHaltedWaitsForAGracefulStop(t *testing.T) {
	api := newFakeAPI()
	api.gracefulVMIDelete = true
	h := startWith(t, v1.RunStrategyAlways, api)
	h.run()
	h.setVM(func(vm *v1.VirtualMachine) {
		halted := v1.RunStrategyHalted
		vm.Spec.RunStrategy = &halted
		vm.Generation = 2
	})
	h.settleQuiet()
	if vmi := h.vmi(); vmi == nil || vmi.DeletionTimestamp == nil {
		t.Fatalf("VMI %+v, want it being deleted", vmi)
	}
	h.expectPrintable(v1.VirtualMachineStatusStopping)
	if n := api.callCount("delete virtualmachineinstances"); n != 1 {
		t.Fatalf("%d deletes, want 1", n)
	}
	api.remove(resource.VirtualMachineInstances, "default/vm1") // the node agent is done
	h.settleQuiet()
	s := h.vm().Status
	if h.vmi() != nil || s.Created || s.PrintableStatus != v1.VirtualMachineStatusStopped || s.ObservedGeneration != 2 {
		t.Fatalf("status %+v, want Stopped, no VMI, generation 2 observed", s)
	}
	if c := s.Conditions[0]; c.Reason != ReasonVMINotExists {
		t.Fatalf("Ready condition %+v, want VMINotExists", c)
	}
}

func TestADeletedVMGetsNoVMI(t *testing.T) {
	h := startWith(t, v1.RunStrategyAlways, nil)
	h.run()
	// A VM waiting on a finalizer: being deleted, its VMI gone.
	h.setVM(func(vm *v1.VirtualMachine) {
		ts := metav1.NewTime(h.clock.Now())
		vm.DeletionTimestamp = &ts
	})
	h.api.remove(resource.VirtualMachineInstances, "default/vm1")
	h.settleQuiet()
	if h.vmi() != nil {
		t.Fatal("a VMI was created for a VM being deleted")
	}
	h.expectPrintable(v1.VirtualMachineStatusTerminating)

	h.api.remove(resource.VirtualMachines, "default/vm1")
	creates := h.api.callCount("create virtualmachineinstances")
	h.settle()
	if h.api.callCount("create virtualmachineinstances") != creates || h.vmi() != nil {
		t.Fatal("a VMI was created for a VM that is gone")
	}
}

func TestStatusConflictIsRetried(t *testing.T) {
	api := newFakeAPI()
	conflicts := 1
	api.fail = func(verb string, r *resource.Info) error {
		if verb == "updatestatus" && conflicts > 0 {
			conflicts--
			return apierrors.NewConflict(r.GroupResource(), "vm1", errors.New("the object has been modified"))
		}
		return nil
	}
	h := startWith(t, v1.RunStrategyAlways, api)
	if h.vmi() != nil {
		t.Fatal("acted on a VM whose status write was refused")
	}
	h.step(time.Second)
	if h.vmi() == nil {
		t.Fatal("no VMI after the retry")
	}
	h.settleQuiet()
}

func TestCreateFailureIsReportedAndRetried(t *testing.T) {
	api := newFakeAPI()
	failures := 3
	api.fail = func(verb string, r *resource.Info) error {
		if verb == "create" && r == resource.VirtualMachineInstances && failures > 0 {
			failures--
			return apierrors.NewInternalError(errors.New("disk full"))
		}
		return nil
	}
	// The first pass writes the status and fails; the status write wakes
	// the VM once more, which fails too. Then only the retry timer acts:
	// after 1 s, then 4 s (the backoff doubles per failure).
	h := startWith(t, v1.RunStrategyAlways, api)
	if n := api.callCount("create virtualmachineinstances"); n != 2 {
		t.Fatalf("%d creates before any time passed, want 2", n)
	}
	h.step(time.Second)
	if n := api.callCount("create virtualmachineinstances"); n != 3 {
		t.Fatalf("%d creates after 1s, want 3", n)
	}
	h.step(3 * time.Second)
	if h.vmi() != nil || api.callCount("create virtualmachineinstances") != 3 {
		t.Fatal("retried before the backoff ended")
	}
	h.step(time.Second)
	if h.vmi() == nil {
		t.Fatal("no VMI after the retries")
	}
	want := []string{ReasonFailedCreate, ReasonFailedCreate, ReasonFailedCreate, ReasonSuccessfulCreate}
	if got := h.rec.reasons(); strings.Join(got, ",") != strings.Join(want, ",") {
		t.Fatalf("events %v, want %v", got, want)
	}
	if msg := h.rec.events[0].message; !strings.HasPrefix(msg, "Error creating virtual machine instance: ") || !strings.Contains(msg, "disk full") {
		t.Fatalf("FailedCreate message %q", msg)
	}
	if h.rec.events[0].eventType != corev1.EventTypeWarning {
		t.Fatalf("FailedCreate is %s, want Warning", h.rec.events[0].eventType)
	}
	h.settleQuiet()
}

func TestAVMIOfAnotherOwnerBlocksTheStart(t *testing.T) {
	api := newFakeAPI()
	yes := true
	other := &v1.VirtualMachineInstance{ObjectMeta: metav1.ObjectMeta{Name: "vm1", Namespace: "default",
		OwnerReferences: []metav1.OwnerReference{{APIVersion: "kubevirt.io/v1", Kind: "VirtualMachine", Name: "vm1",
			UID: types.UID("an-older-vm"), Controller: &yes}}}}
	if err := api.Create(context.Background(), resource.VirtualMachineInstances, other); err != nil {
		t.Fatal(err)
	}
	h := startWith(t, v1.RunStrategyAlways, api)
	h.settleQuiet()
	if n := api.callCount("create virtualmachineinstances"); n != 1 { // the test's own
		t.Fatalf("%d creates, want none by the controller", n-1)
	}
	api.remove(resource.VirtualMachineInstances, "default/vm1")
	h.settleQuiet()
	if vmi := h.vmi(); vmi == nil || metav1.GetControllerOf(vmi).UID != h.vm().UID {
		t.Fatalf("VMI %+v, want one owned by the VM", vmi)
	}
}

func TestRelistAfterAnExpiredWatch(t *testing.T) {
	h := startWith(t, v1.RunStrategyAlways, nil)
	h.run()
	h.api.expireWatches()
	h.pump(true) // the informers see the 410
	// Changes while no watch runs are found by the fresh list.
	h.api.remove(resource.VirtualMachineInstances, "default/vm1")
	h.connect()
	h.settleQuiet()
	if vmi := h.vmi(); vmi == nil || vmi.Status.Phase != v1.Pending {
		t.Fatalf("VMI %+v, want a new Pending one after the relist", vmi)
	}
}

func TestNoVMIForAVMGoneBehindTheCache(t *testing.T) {
	h := startWith(t, v1.RunStrategyAlways, nil)
	h.run()
	// The VM is deleted; the API server took its VMI with it, and the VMI
	// watch reports that before the VM watch does.
	h.api.removeUnseen(resource.VirtualMachines, "default/vm1")
	h.api.remove(resource.VirtualMachineInstances, "default/vm1")
	creates := h.api.callCount("create virtualmachineinstances")
	h.settle()
	if h.api.callCount("create virtualmachineinstances") != creates || h.api.vmi("default/vm1") != nil {
		t.Fatal("a VMI was created for a VM that is gone")
	}
}
