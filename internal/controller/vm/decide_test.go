package vm

import (
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"

	v1 "vigil.dev/vigil/api/v1"
)

var t0 = time.Date(2026, 3, 4, 5, 6, 7, 0, time.UTC)

// vmiState builds a VMI (UID "uid-1") in a phase; ran marks it as having
// been Running once; deleting sets a deletionTimestamp.
type vmiState struct {
	phase    v1.VirtualMachineInstancePhase
	ran      bool
	deleting bool
	uid      types.UID
}

func (s vmiState) build() *v1.VirtualMachineInstance {
	uid := s.uid
	if uid == "" {
		uid = "uid-1"
	}
	vmi := &v1.VirtualMachineInstance{
		ObjectMeta: metav1.ObjectMeta{Name: "vm1", Namespace: "default", UID: uid},
		Status:     v1.VirtualMachineInstanceStatus{Phase: s.phase},
	}
	if s.ran {
		vmi.Status.PhaseTransitionTimestamps = []v1.VirtualMachineInstancePhaseTransitionTimestamp{
			{Phase: v1.Running, PhaseTransitionTimestamp: metav1.NewTime(t0.Add(-time.Hour))},
		}
	}
	if s.deleting {
		ts := metav1.NewTime(t0.Add(-time.Second))
		vmi.DeletionTimestamp = &ts
	}
	return vmi
}

var (
	noVMI         = (*vmiState)(nil)
	pending       = &vmiState{phase: v1.Pending}
	running       = &vmiState{phase: v1.Running, ran: true}
	succeeded     = &vmiState{phase: v1.Succeeded, ran: true}
	failed        = &vmiState{phase: v1.Failed, ran: true}
	runningGoing  = &vmiState{phase: v1.Running, ran: true, deleting: true}
	failedGoing   = &vmiState{phase: v1.Failed, ran: true, deleting: true}
	otherRunning  = &vmiState{phase: v1.Running, ran: true, uid: "uid-2"}
	start         = v1.VirtualMachineStateChangeRequest{Action: v1.StartRequest}
	stopCurrent   = stopReq("uid-1")
	stopPrevious  = stopReq("uid-0")
	restartOfUID1 = []v1.VirtualMachineStateChangeRequest{stopCurrent, start}
)

type decideCase struct {
	name     string
	strategy v1.VirtualMachineRunStrategy
	observed string // status.runStrategy from the previous pass; "same" when empty
	vmi      *vmiState
	reqs     []v1.VirtualMachineStateChangeRequest

	create    bool
	deleteUID types.UID
	printable v1.VirtualMachinePrintableStatus
	wantReqs  []v1.VirtualMachineStateChangeRequest
}

func (c decideCase) input() Input {
	vm := strategyVM(c.strategy)
	vm.Generation = 3
	vm.Status.RunStrategy = c.strategy
	if c.observed != "" {
		vm.Status.RunStrategy = v1.VirtualMachineRunStrategy(c.observed)
		if c.observed == "none" {
			vm.Status.RunStrategy = ""
		}
	}
	vm.Status.StateChangeRequests = c.reqs
	in := Input{VM: vm, Now: t0}
	if c.vmi != nil {
		in.VMI = c.vmi.build()
	}
	return in
}

func TestDecideStrategies(t *testing.T) {
	cases := []decideCase{
		// Always: a VMI must run; a final one is replaced.
		{name: "Always none", strategy: v1.RunStrategyAlways, vmi: noVMI, create: true, printable: v1.VirtualMachineStatusStarting},
		{name: "Always pending", strategy: v1.RunStrategyAlways, vmi: pending, printable: v1.VirtualMachineStatusStarting},
		{name: "Always running", strategy: v1.RunStrategyAlways, vmi: running, printable: v1.VirtualMachineStatusRunning},
		{name: "Always succeeded", strategy: v1.RunStrategyAlways, vmi: succeeded, deleteUID: "uid-1", printable: v1.VirtualMachineStatusStopped},
		{name: "Always failed", strategy: v1.RunStrategyAlways, vmi: failed, deleteUID: "uid-1", printable: v1.VirtualMachineStatusStopped},
		{name: "Always running being deleted", strategy: v1.RunStrategyAlways, vmi: runningGoing, printable: v1.VirtualMachineStatusStopping},
		{name: "Always failed being deleted", strategy: v1.RunStrategyAlways, vmi: failedGoing, printable: v1.VirtualMachineStatusStopped},
		{name: "Always restart stops the VMI", strategy: v1.RunStrategyAlways, vmi: running, reqs: restartOfUID1,
			deleteUID: "uid-1", printable: v1.VirtualMachineStatusStopping, wantReqs: restartOfUID1},
		{name: "Always restart waits for the deletion", strategy: v1.RunStrategyAlways, vmi: runningGoing, reqs: restartOfUID1,
			printable: v1.VirtualMachineStatusStopping, wantReqs: restartOfUID1},
		{name: "Always restart starts once gone", strategy: v1.RunStrategyAlways, vmi: noVMI, reqs: restartOfUID1,
			create: true, printable: v1.VirtualMachineStatusStarting, wantReqs: []v1.VirtualMachineStateChangeRequest{start}},
		{name: "Always restart done", strategy: v1.RunStrategyAlways, vmi: otherRunning, reqs: []v1.VirtualMachineStateChangeRequest{start},
			printable: v1.VirtualMachineStatusRunning},

		// RerunOnFailure: a Failed VMI is replaced, a Succeeded one stays.
		{name: "RerunOnFailure first pass", strategy: v1.RunStrategyRerunOnFailure, observed: "none", vmi: noVMI, create: true,
			printable: v1.VirtualMachineStatusStarting, wantReqs: []v1.VirtualMachineStateChangeRequest{start}},
		{name: "RerunOnFailure switched from Halted", strategy: v1.RunStrategyRerunOnFailure, observed: "Halted", vmi: noVMI, create: true,
			printable: v1.VirtualMachineStatusStarting, wantReqs: []v1.VirtualMachineStateChangeRequest{start}},
		{name: "RerunOnFailure first start retried", strategy: v1.RunStrategyRerunOnFailure, vmi: noVMI, reqs: []v1.VirtualMachineStateChangeRequest{start},
			create: true, printable: v1.VirtualMachineStatusStarting, wantReqs: []v1.VirtualMachineStateChangeRequest{start}},
		{name: "RerunOnFailure stopped stays", strategy: v1.RunStrategyRerunOnFailure, vmi: noVMI, printable: v1.VirtualMachineStatusStopped},
		{name: "RerunOnFailure pending", strategy: v1.RunStrategyRerunOnFailure, vmi: pending, printable: v1.VirtualMachineStatusStarting},
		{name: "RerunOnFailure running", strategy: v1.RunStrategyRerunOnFailure, vmi: running, printable: v1.VirtualMachineStatusRunning},
		{name: "RerunOnFailure succeeded stays", strategy: v1.RunStrategyRerunOnFailure, vmi: succeeded, printable: v1.VirtualMachineStatusStopped},
		{name: "RerunOnFailure failed is replaced", strategy: v1.RunStrategyRerunOnFailure, vmi: failed, deleteUID: "uid-1",
			printable: v1.VirtualMachineStatusStopped, wantReqs: []v1.VirtualMachineStateChangeRequest{start}},
		{name: "RerunOnFailure replacement waits", strategy: v1.RunStrategyRerunOnFailure, vmi: failedGoing, reqs: []v1.VirtualMachineStateChangeRequest{start},
			printable: v1.VirtualMachineStatusStopped, wantReqs: []v1.VirtualMachineStateChangeRequest{start}},
		{name: "RerunOnFailure replacement created", strategy: v1.RunStrategyRerunOnFailure, vmi: noVMI, reqs: []v1.VirtualMachineStateChangeRequest{start},
			create: true, printable: v1.VirtualMachineStatusStarting, wantReqs: []v1.VirtualMachineStateChangeRequest{start}},
		{name: "RerunOnFailure start replaces succeeded", strategy: v1.RunStrategyRerunOnFailure, vmi: succeeded, reqs: restartOfUID1,
			deleteUID: "uid-1", printable: v1.VirtualMachineStatusStopped, wantReqs: restartOfUID1},
		{name: "RerunOnFailure stop", strategy: v1.RunStrategyRerunOnFailure, vmi: running, reqs: []v1.VirtualMachineStateChangeRequest{stopCurrent},
			deleteUID: "uid-1", printable: v1.VirtualMachineStatusStopping, wantReqs: []v1.VirtualMachineStateChangeRequest{stopCurrent}},
		{name: "RerunOnFailure stopped by request stays", strategy: v1.RunStrategyRerunOnFailure, vmi: noVMI, reqs: []v1.VirtualMachineStateChangeRequest{stopCurrent},
			printable: v1.VirtualMachineStatusStopped},
		{name: "RerunOnFailure being deleted", strategy: v1.RunStrategyRerunOnFailure, vmi: runningGoing, printable: v1.VirtualMachineStatusStopping},

		// Manual: requests only.
		{name: "Manual none", strategy: v1.RunStrategyManual, vmi: noVMI, printable: v1.VirtualMachineStatusStopped},
		{name: "Manual first pass creates nothing", strategy: v1.RunStrategyManual, observed: "none", vmi: noVMI, printable: v1.VirtualMachineStatusStopped},
		{name: "Manual start", strategy: v1.RunStrategyManual, vmi: noVMI, reqs: []v1.VirtualMachineStateChangeRequest{start},
			create: true, printable: v1.VirtualMachineStatusStarting, wantReqs: []v1.VirtualMachineStateChangeRequest{start}},
		{name: "Manual start consumed", strategy: v1.RunStrategyManual, vmi: pending, reqs: []v1.VirtualMachineStateChangeRequest{start},
			printable: v1.VirtualMachineStatusStarting},
		{name: "Manual pending", strategy: v1.RunStrategyManual, vmi: pending, printable: v1.VirtualMachineStatusStarting},
		{name: "Manual running", strategy: v1.RunStrategyManual, vmi: running, printable: v1.VirtualMachineStatusRunning},
		{name: "Manual succeeded stays", strategy: v1.RunStrategyManual, vmi: succeeded, printable: v1.VirtualMachineStatusStopped},
		{name: "Manual failed stays", strategy: v1.RunStrategyManual, vmi: failed, printable: v1.VirtualMachineStatusStopped},
		{name: "Manual bare start replaces final", strategy: v1.RunStrategyManual, vmi: failed, reqs: []v1.VirtualMachineStateChangeRequest{start},
			deleteUID: "uid-1", printable: v1.VirtualMachineStatusStopped, wantReqs: []v1.VirtualMachineStateChangeRequest{start}},
		{name: "Manual stop", strategy: v1.RunStrategyManual, vmi: running, reqs: []v1.VirtualMachineStateChangeRequest{stopCurrent},
			deleteUID: "uid-1", printable: v1.VirtualMachineStatusStopping, wantReqs: []v1.VirtualMachineStateChangeRequest{stopCurrent}},
		{name: "Manual stop of a gone VMI is void", strategy: v1.RunStrategyManual, vmi: otherRunning, reqs: []v1.VirtualMachineStateChangeRequest{stopPrevious},
			printable: v1.VirtualMachineStatusRunning},
		{name: "Manual stop without UID is void", strategy: v1.RunStrategyManual, vmi: running, reqs: []v1.VirtualMachineStateChangeRequest{{Action: v1.StopRequest}},
			printable: v1.VirtualMachineStatusRunning},
		{name: "Manual stop being done", strategy: v1.RunStrategyManual, vmi: runningGoing, reqs: []v1.VirtualMachineStateChangeRequest{stopCurrent},
			printable: v1.VirtualMachineStatusStopping, wantReqs: []v1.VirtualMachineStateChangeRequest{stopCurrent}},

		// Halted: nothing runs.
		{name: "Halted none", strategy: v1.RunStrategyHalted, vmi: noVMI, printable: v1.VirtualMachineStatusStopped},
		{name: "Halted pending", strategy: v1.RunStrategyHalted, vmi: pending, deleteUID: "uid-1", printable: v1.VirtualMachineStatusStopping},
		{name: "Halted running", strategy: v1.RunStrategyHalted, vmi: running, deleteUID: "uid-1", printable: v1.VirtualMachineStatusStopping},
		{name: "Halted succeeded", strategy: v1.RunStrategyHalted, vmi: succeeded, deleteUID: "uid-1", printable: v1.VirtualMachineStatusStopped},
		{name: "Halted failed", strategy: v1.RunStrategyHalted, vmi: failed, deleteUID: "uid-1", printable: v1.VirtualMachineStatusStopped},
		{name: "Halted being deleted", strategy: v1.RunStrategyHalted, vmi: runningGoing, printable: v1.VirtualMachineStatusStopping},
		{name: "Halted start request is void", strategy: v1.RunStrategyHalted, vmi: noVMI, reqs: []v1.VirtualMachineStateChangeRequest{start},
			printable: v1.VirtualMachineStatusStopped},

		// Once: one VMI, left as it ends.
		{name: "Once first pass", strategy: v1.RunStrategyOnce, observed: "none", vmi: noVMI, create: true,
			printable: v1.VirtualMachineStatusStarting, wantReqs: []v1.VirtualMachineStateChangeRequest{start}},
		{name: "Once first start retried", strategy: v1.RunStrategyOnce, vmi: noVMI, reqs: []v1.VirtualMachineStateChangeRequest{start},
			create: true, printable: v1.VirtualMachineStatusStarting, wantReqs: []v1.VirtualMachineStateChangeRequest{start}},
		{name: "Once start consumed", strategy: v1.RunStrategyOnce, vmi: pending, reqs: []v1.VirtualMachineStateChangeRequest{start},
			printable: v1.VirtualMachineStatusStarting},
		{name: "Once after its VMI is gone", strategy: v1.RunStrategyOnce, vmi: noVMI, printable: v1.VirtualMachineStatusStopped},
		{name: "Once pending", strategy: v1.RunStrategyOnce, vmi: pending, printable: v1.VirtualMachineStatusStarting},
		{name: "Once running", strategy: v1.RunStrategyOnce, vmi: running, printable: v1.VirtualMachineStatusRunning},
		{name: "Once succeeded stays", strategy: v1.RunStrategyOnce, vmi: succeeded, printable: v1.VirtualMachineStatusStopped},
		{name: "Once failed stays", strategy: v1.RunStrategyOnce, vmi: failed, printable: v1.VirtualMachineStatusStopped},
		{name: "Once being deleted", strategy: v1.RunStrategyOnce, vmi: runningGoing, printable: v1.VirtualMachineStatusStopping},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			in := c.input()
			before := in.VM.DeepCopy()
			d := Decide(in)
			if d.Create != c.create || d.DeleteUID != c.deleteUID {
				t.Errorf("create=%v delete=%q, want create=%v delete=%q", d.Create, d.DeleteUID, c.create, c.deleteUID)
			}
			if d.Status.PrintableStatus != c.printable {
				t.Errorf("printableStatus %s, want %s", d.Status.PrintableStatus, c.printable)
			}
			assertRequests(t, d.Status.StateChangeRequests, c.wantReqs)
			if d.RequeueAfter != 0 {
				t.Errorf("requeueAfter %v without a crash loop", d.RequeueAfter)
			}
			if d.Status.RunStrategy != c.strategy || d.Status.ObservedGeneration != 3 {
				t.Errorf("status runStrategy=%s observedGeneration=%d, want %s and 3",
					d.Status.RunStrategy, d.Status.ObservedGeneration, c.strategy)
			}
			if !equalVM(before, in.VM) {
				t.Error("Decide modified its input VM")
			}
		})
	}
}

func TestDecideDeletedVM(t *testing.T) {
	for _, s := range []*vmiState{noVMI, running, failed} {
		in := decideCase{strategy: v1.RunStrategyAlways, vmi: s}.input()
		ts := metav1.NewTime(t0)
		in.VM.DeletionTimestamp = &ts
		d := Decide(in)
		if d.Create || d.DeleteUID != "" {
			t.Errorf("vmi %+v: a VM being deleted got create=%v delete=%q", s, d.Create, d.DeleteUID)
		}
		if d.Status.PrintableStatus != v1.VirtualMachineStatusTerminating {
			t.Errorf("vmi %+v: printableStatus %s, want Terminating", s, d.Status.PrintableStatus)
		}
	}
}

func assertRequests(t *testing.T, got, want []v1.VirtualMachineStateChangeRequest) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("requests %s, want %s", describeRequests(got), describeRequests(want))
	}
	for i := range got {
		if got[i].Action != want[i].Action || uidOf(got[i]) != uidOf(want[i]) {
			t.Fatalf("requests %s, want %s", describeRequests(got), describeRequests(want))
		}
	}
}

func uidOf(r v1.VirtualMachineStateChangeRequest) types.UID {
	if r.UID == nil {
		return ""
	}
	return *r.UID
}

func describeRequests(reqs []v1.VirtualMachineStateChangeRequest) string {
	s := "["
	for _, r := range reqs {
		s += " " + string(r.Action) + ":" + string(uidOf(r))
	}
	return s + " ]"
}
