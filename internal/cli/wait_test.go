package cli

import (
	"context"
	"strings"
	"testing"

	v1 "vigil.dev/vigil/api/v1"
	"vigil.dev/vigil/internal/resource"
)

func seedVMI(f *fakeAPI, name string, generation int, conds ...map[string]any) {
	list := make([]any, len(conds))
	for i, c := range conds {
		list[i] = c
	}
	f.put(resource.VirtualMachineInstances, map[string]any{
		"metadata": map[string]any{"name": name, "generation": generation},
		"spec":     map[string]any{"domain": map[string]any{"devices": map[string]any{}}},
		"status":   map[string]any{"phase": "Running", "conditions": list},
	})
}

func TestParseFor(t *testing.T) {
	cases := []struct {
		in   string
		want waitCondition
		err  bool
	}{
		{"condition=Ready", waitCondition{condType: "Ready", status: "True"}, false},
		{"condition=ready=false", waitCondition{condType: "ready", status: "false"}, false},
		{"delete", waitDeleted, false},
		{"Delete", waitDeleted, false},
		{"", waitCondition{}, true},
		{"condition=", waitCondition{}, true},
		{"jsonpath={.status}", waitCondition{}, true},
	}
	for _, tc := range cases {
		got, err := parseFor(tc.in)
		if (err != nil) != tc.err || got != tc.want {
			t.Errorf("parseFor(%q) = %+v, %v", tc.in, got, err)
		}
	}
}

func TestConditionMet(t *testing.T) {
	ready := waitCondition{condType: "ready", status: "TRUE"}
	vmi := func(gen int64, conds ...v1.VirtualMachineInstanceCondition) *v1.VirtualMachineInstance {
		o := &v1.VirtualMachineInstance{Status: v1.VirtualMachineInstanceStatus{Conditions: conds}}
		o.Generation = gen
		return o
	}
	if !ready.met(vmi(1, v1.VirtualMachineInstanceCondition{Type: "Ready", Status: "True"})) {
		t.Error("Ready=True not met (case-insensitive)")
	}
	if ready.met(vmi(1, v1.VirtualMachineInstanceCondition{Type: "Ready", Status: "False"})) {
		t.Error("Ready=False met")
	}
	if ready.met(vmi(1)) || ready.met(nil) {
		t.Error("met without the condition, or without the object")
	}
	if !waitDeleted.met(nil) || waitDeleted.met(vmi(1)) {
		t.Error("delete condition wrong")
	}
}

func TestWaitConditionMetThroughWatch(t *testing.T) {
	f := newFakeAPI(t)
	seedVMI(f, "a", 1, map[string]any{"type": "Ready", "status": "False"})
	out := newSignalBuffer()
	done := make(chan result, 1)
	go func() {
		done <- runCtx(context.Background(), f, "", out, "wait", "vmi", "a", "--for=condition=ready", "--timeout=60s")
	}()
	f.awaitWatch(t)
	seedVMI(f, "other", 1, map[string]any{"type": "Ready", "status": "True"}) // another object's condition is not ours
	seedVMI(f, "a", 1, map[string]any{"type": "Ready", "status": "true"})
	res := <-done
	if res.err != nil || out.String() != "virtualmachineinstance.kubevirt.io/a condition met\n" {
		t.Fatalf("err %v, stdout %q, stderr %q", res.err, out.String(), res.stderr)
	}
	gets := f.requests("GET")
	if !strings.Contains(gets[0].Query, "fieldSelector=metadata.name%3Da") || !strings.Contains(gets[1].Query, "watch=true") {
		t.Errorf("requests %+v", gets)
	}
}

func TestWaitAlreadyMetAndMissingObject(t *testing.T) {
	f := newFakeAPI(t)
	seedVMI(f, "a", 1, map[string]any{"type": "Ready", "status": "True"})
	res := run(t, f, "", "wait", "vmi/a", "--for", "condition=Ready")
	if res.err != nil || res.stdout != "virtualmachineinstance.kubevirt.io/a condition met\n" {
		t.Fatalf("err %v, stdout %q", res.err, res.stdout)
	}
	if n := len(f.requests("GET")); n != 1 {
		t.Errorf("%d requests for a condition already met, want 1 list", n)
	}
	res = run(t, f, "", "wait", "vm", "gone", "--for=delete")
	if res.err != nil || res.stdout != "virtualmachine.kubevirt.io/gone condition met\n" {
		t.Fatalf("delete of a missing object: err %v, stdout %q", res.err, res.stdout)
	}
}

func TestWaitTimesOut(t *testing.T) {
	f := newFakeAPI(t)
	seedVMI(f, "a", 1, map[string]any{"type": "Ready", "status": "False"})
	res := run(t, f, "", "wait", "vmi", "a", "--for=condition=Ready", "--timeout=200ms")
	if res.err == nil || res.err.Error() != "timed out waiting for the condition on virtualmachineinstances/a" {
		t.Fatalf("err %v", res.err)
	}
	res = run(t, f, "", "wait", "vmi", "a", "--for=condition=Ready", "--timeout=0")
	if res.err == nil || !strings.Contains(res.err.Error(), "timed out") || len(f.requests("GET")) != 3 {
		t.Fatalf("--timeout=0 must check once: err %v", res.err)
	}
}

func TestWaitForDelete(t *testing.T) {
	f := newFakeAPI(t)
	seedVM(f, "default", "a", "Stopping", false)
	done := make(chan result, 1)
	go func() { done <- run(t, f, "", "wait", "vm", "a", "--for=delete") }()
	f.awaitWatch(t)
	f.remove(resource.VirtualMachines, "default", "a")
	if res := <-done; res.err != nil || res.stdout != "virtualmachine.kubevirt.io/a condition met\n" {
		t.Fatalf("err %v, stdout %q", res.err, res.stdout)
	}
}
