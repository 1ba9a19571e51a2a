package node

import (
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	v1 "vigil.dev/vigil/api/v1"
)

// vmiIn builds a VMI in phase on node (empty: unscheduled).
func vmiIn(phase v1.VirtualMachineInstancePhase, node string, opts ...func(*v1.VirtualMachineInstance)) *v1.VirtualMachineInstance {
	vmi := &v1.VirtualMachineInstance{ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Name: "vm", UID: "uid-1"}}
	vmi.Status.Phase, vmi.Status.NodeName = phase, node
	for _, o := range opts {
		o(vmi)
	}
	return vmi
}

func deleting(vmi *v1.VirtualMachineInstance) {
	now := metav1.Now()
	vmi.DeletionTimestamp = &now
}

func finalized(vmi *v1.VirtualMachineInstance) { vmi.Finalizers = []string{Finalizer} }

func selecting(sel map[string]string) func(*v1.VirtualMachineInstance) {
	return func(vmi *v1.VirtualMachineInstance) { vmi.Spec.NodeSelector = sel }
}

func TestDecide(t *testing.T) {
	const me = "node-a"
	tests := []struct {
		name string
		f    facts
		want step
	}{
		{"gone, nothing held", facts{}, stepForget},
		{"gone while qemu runs: kill", facts{Held: true}, stepKill},
		{"gone after qemu ended", facts{Held: true, Exited: true}, stepForget},
		{"another node's vmi", facts{VMI: vmiIn(v1.Running, "node-b")}, stepNone},
		{"pending: schedule", facts{VMI: vmiIn(v1.Pending, "")}, stepSchedule},
		{"pending, selector matches", facts{VMI: vmiIn(v1.Pending, "", selecting(map[string]string{HostnameLabel: me}))}, stepSchedule},
		{"pending, selector does not match", facts{VMI: vmiIn(v1.Pending, "", selecting(map[string]string{"disk": "ssd"}))}, stepUnschedulable},
		{"scheduled here, never launched: start", facts{VMI: vmiIn(v1.Scheduled, me)}, stepStart},
		{"scheduled here, launched, nothing held: lost", facts{VMI: vmiIn(v1.Scheduled, me), Launched: true}, stepMarkLost},
		{"running here, nothing held: lost", facts{VMI: vmiIn(v1.Running, me)}, stepMarkLost},
		{"running here, orphan: reattach", facts{VMI: vmiIn(v1.Running, me), Orphan: true}, stepReattach},
		{"running, held: sync", facts{VMI: vmiIn(v1.Running, me), Held: true}, stepSync},
		{"scheduled, held (just launched): sync", facts{VMI: vmiIn(v1.Scheduled, me), Held: true}, stepSync},
		{"running, held, stop requested", facts{VMI: vmiIn(v1.Running, me), Held: true, StopRequested: true}, stepTerminate},
		{"running, qemu exited: finish", facts{VMI: vmiIn(v1.Running, me), Held: true, Exited: true}, stepFinish},
		{"final status pending", facts{VMI: vmiIn(v1.Running, me), FinalPending: true}, stepWriteFinal},
		{"final, clean", facts{VMI: vmiIn(v1.Failed, me)}, stepNone},
		{"final, leftovers", facts{VMI: vmiIn(v1.Succeeded, me), Leftovers: true}, stepCleanup},
		{"deleting, running: terminate", facts{VMI: vmiIn(v1.Running, me, deleting, finalized), Held: true}, stepTerminate},
		{"deleting, exited: finish", facts{VMI: vmiIn(v1.Running, me, deleting, finalized), Held: true, Exited: true}, stepFinish},
		{"deleting, orphan: reattach first", facts{VMI: vmiIn(v1.Running, me, deleting, finalized), Orphan: true}, stepReattach},
		{"deleting, final, finalizer: release", facts{VMI: vmiIn(v1.Failed, me, deleting, finalized)}, stepRelease},
		{"deleting, never started, finalizer: release", facts{VMI: vmiIn(v1.Scheduled, me, deleting, finalized)}, stepRelease},
		{"deleting, final pending: release", facts{VMI: vmiIn(v1.Running, me, deleting), FinalPending: true}, stepRelease},
		{"deleting, nothing of ours", facts{VMI: vmiIn(v1.Pending, "", deleting)}, stepNone},
		{"deleting another node's vmi", facts{VMI: vmiIn(v1.Running, "node-b", deleting, finalized)}, stepNone},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.f.Node = me
			if got := decide(tt.f); got != tt.want {
				t.Errorf("decide = %s, want %s", got, tt.want)
			}
		})
	}
}

func TestUnmatchedSelector(t *testing.T) {
	labels := nodeLabels("n1")
	tests := []struct {
		sel  map[string]string
		want []string
	}{
		{nil, nil},
		{map[string]string{HostnameLabel: "n1"}, nil},
		{map[string]string{HostnameLabel: "n2"}, []string{HostnameLabel + "=n2"}},
		{map[string]string{"zone": "b", "disk": "ssd"}, []string{"disk=ssd", "zone=b"}},
	}
	for _, tt := range tests {
		got := unmatchedSelector(tt.sel, labels)
		if len(got) != len(tt.want) {
			t.Errorf("unmatchedSelector(%v) = %v, want %v", tt.sel, got, tt.want)
			continue
		}
		for i := range got {
			if got[i] != tt.want[i] {
				t.Errorf("unmatchedSelector(%v) = %v, want %v", tt.sel, got, tt.want)
			}
		}
	}
}

func TestFinalizerEdits(t *testing.T) {
	vmi := vmiIn(v1.Pending, "")
	vmi.Finalizers = []string{"other"}
	if !addFinalizer(vmi) || addFinalizer(vmi) {
		t.Fatal("addFinalizer: want a change once, then none")
	}
	if !removeFinalizer(vmi) || removeFinalizer(vmi) {
		t.Fatal("removeFinalizer: want a change once, then none")
	}
	if len(vmi.Finalizers) != 1 || vmi.Finalizers[0] != "other" {
		t.Errorf("finalizers = %v, want [other]", vmi.Finalizers)
	}
}
