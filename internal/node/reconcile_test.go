package node

import (
	"context"
	"errors"
	"os"
	"strings"
	"testing"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"

	v1 "vigil.dev/vigil/api/v1"
)

// newVMI is a defaulted VMI as the API server stores it: Pending, with the
// default interface, booting a kernel image.
func newVMI(name, uid, image string) *v1.VirtualMachineInstance {
	vmi := &v1.VirtualMachineInstance{ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Name: name, UID: types.UID("uid-" + uid)}}
	vmi.Spec.Domain.Firmware = &v1.Firmware{KernelBoot: &v1.KernelBoot{Container: &v1.KernelBootContainer{Image: image}}}
	v1.SetDefaultsVirtualMachineInstance(vmi)
	vmi.Status.Phase = v1.Pending
	return vmi
}

func TestScheduleThenFailOnAMissingImage(t *testing.T) {
	ta := newTestAgent(t)
	vmi := ta.create(newVMI("a", "a", "nosuch"))

	vmi = ta.step(t, vmi)
	if !hasFinalizer(vmi) || vmi.Status.Phase != v1.Scheduled || vmi.Status.NodeName != "n1" {
		t.Fatalf("after scheduling: finalizers %v phase %s node %q", vmi.Finalizers, vmi.Status.Phase, vmi.Status.NodeName)
	}
	ip, ok := recordedIP(vmi, v1.DefaultNetworkName)
	if !ok || ip.String() != "10.89.0.2" {
		t.Fatalf("recorded address %v %v, want 10.89.0.2 before QEMU starts", ip, ok)
	}

	vmi = ta.step(t, vmi) // start: the kernel image is not in the store
	st := vmi.Status
	if st.Phase != v1.Failed || st.Reason != ReasonImageNotFound ||
		!strings.Contains(st.Message, "spec.domain.firmware.kernelBoot.container.image") || !strings.Contains(st.Message, "nosuch") {
		t.Fatalf("after the start: %s %s %q", st.Phase, st.Reason, st.Message)
	}
	if ta.net.attached(vmi.UID) {
		t.Error("the tap of a VMI that failed to start is left")
	}
	if _, held := ta.alloc.Lookup(string(vmi.UID)); held {
		t.Error("the address of a VMI that failed to start is still held")
	}
	if _, err := os.Stat(ta.cfg.runDir(string(vmi.UID))); !os.IsNotExist(err) {
		t.Errorf("the run directory of a VMI that failed to start is left: %v", err)
	}
	if ev := ta.rec.all(); len(ev) != 1 || !strings.HasPrefix(ev[0], "Warning ImageNotFound ") {
		t.Errorf("events %q", ev)
	}
	if ta.state(vmi.UID) != nil {
		t.Error("the agent still holds a record of the failed VMI")
	}
	if decide(facts{VMI: vmi, Node: "n1"}) != stepNone {
		t.Error("a failed VMI has more to do")
	}
}

func TestUnschedulableStaysPending(t *testing.T) {
	ta := newTestAgent(t)
	v := newVMI("a", "a", "tiny")
	v.Spec.NodeSelector = map[string]string{"disk": "ssd"}
	vmi := ta.step(t, ta.create(v))
	if vmi.Status.Phase != v1.Pending || vmi.Status.NodeName != "" || hasFinalizer(vmi) {
		t.Fatalf("phase %s node %q finalizers %v", vmi.Status.Phase, vmi.Status.NodeName, vmi.Finalizers)
	}
	if vmi.Status.Reason != ReasonUnschedulable || !strings.Contains(vmi.Status.Message, "disk=ssd") {
		t.Errorf("reason %q message %q", vmi.Status.Reason, vmi.Status.Message)
	}
}

func TestTwoInterfacesAreRefused(t *testing.T) {
	ta := newTestAgent(t)
	v := newVMI("a", "a", "tiny")
	v.Spec.Networks = append(v.Spec.Networks, v1.Network{Name: "second", NetworkSource: v1.NetworkSource{Pod: &v1.PodNetwork{}}})
	v.Spec.Domain.Devices.Interfaces = append(v.Spec.Domain.Devices.Interfaces, v1.Interface{Name: "second"})
	vmi := ta.step(t, ta.step(t, ta.create(v)))
	if vmi.Status.Phase != v1.Failed || vmi.Status.Reason != ReasonInvalidSpec ||
		!strings.Contains(vmi.Status.Message, "spec.domain.devices.interfaces") {
		t.Errorf("%s %s %q", vmi.Status.Phase, vmi.Status.Reason, vmi.Status.Message)
	}
}

func TestDeletingAFinalVMIReleasesIt(t *testing.T) {
	ta := newTestAgent(t)
	vmi := ta.step(t, ta.step(t, ta.create(newVMI("a", "a", "nosuch")))) // scheduled, then failed
	if vmi.Status.Phase != v1.Failed {
		t.Fatalf("phase %s", vmi.Status.Phase)
	}
	os.MkdirAll(ta.cfg.runDir(string(vmi.UID)), 0o700) // logs of the failed run
	now := metav1.Now()
	vmi.DeletionTimestamp = &now
	if err := ta.api.Update(context.Background(), nil, vmi); err != nil {
		t.Fatal(err)
	}
	ta.sync(vmi)
	if got := ta.step(t, vmi); got != nil {
		t.Fatalf("the VMI is still in the API with finalizers %v", got.Finalizers)
	}
	if _, err := os.Stat(ta.cfg.runDir(string(vmi.UID))); !os.IsNotExist(err) {
		t.Errorf("the run directory outlived the VMI: %v", err)
	}
}

func TestStaleCacheDoesNotStartAgain(t *testing.T) {
	ta := newTestAgent(t)
	vmi := ta.step(t, ta.create(newVMI("a", "a", "nosuch")))
	stale := vmi.DeepCopy()   // Scheduled
	failed := ta.step(t, vmi) // fails: Failed in the API
	ta.cache.byUID[stale.UID] = stale
	if err := ta.reconcile(context.Background(), stale.UID); err != nil {
		t.Fatal(err)
	}
	if got := ta.api.get("ns", "a"); got.ResourceVersion != failed.ResourceVersion {
		t.Errorf("a stale cache restarted a failed VMI: %s %v", got.Status.Phase, got.Status.PhaseTransitionTimestamps)
	}
	if ev := ta.rec.all(); len(ev) != 1 {
		t.Errorf("a stale cache tried the start again: events %q", ev)
	}
}

func TestProxyAnswers(t *testing.T) {
	ta := newTestAgent(t)
	ctx := context.Background()
	if _, err := ta.Console(ctx, "ns", "nope"); !apierrors.IsNotFound(err) {
		t.Errorf("console of an unknown VMI: %v", err)
	}
	vmi := ta.create(newVMI("a", "a", "tiny"))
	if _, err := ta.Console(ctx, "ns", "a"); !apierrors.IsConflict(err) || !strings.Contains(err.Error(), "not running") {
		t.Errorf("console of a VMI that does not run: %v", err)
	}
	if _, err := ta.GuestExec(ctx, "ns", "a", []string{"true"}, 0); !apierrors.IsConflict(err) {
		t.Errorf("exec in a VMI that does not run: %v", err)
	}
	r, err := ta.Logs(ctx, "ns", "a", true)
	if err != nil {
		t.Fatalf("logs before anything was printed: %v", err)
	}
	r.Close()
	if err := ta.StopVMI(vmi.UID, "LivenessProbeFailed", "m"); !errors.Is(err, ErrNotRunning) {
		t.Errorf("StopVMI of a VMI that does not run: %v", err)
	}
	if err := ta.SetReadiness(vmi.UID, Readiness{Ready: true}); !errors.Is(err, ErrNotRunning) {
		t.Errorf("SetReadiness of a VMI that does not run: %v", err)
	}
}

func TestProxyBeforeRun(t *testing.T) {
	a, err := New(Config{NodeName: "n1", DataDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := a.Logs(context.Background(), "ns", "a", false); !apierrors.IsServiceUnavailable(err) {
		t.Errorf("logs before the agent runs: %v", err)
	}
}

func TestBackoff(t *testing.T) {
	a := newTestAgent(t)
	want := []time.Duration{time.Second, 2 * time.Second, 4 * time.Second, 8 * time.Second}
	var got time.Duration
	for i := range 100 {
		got = a.retries.Failed("uid")
		if i < len(want) && got != want[i] {
			t.Errorf("backoff(%d) = %s, want %s", i+1, got, want[i])
		}
	}
	if got != maxRetryDelay {
		t.Errorf("backoff(100) = %s, want %s", got, maxRetryDelay)
	}
}
