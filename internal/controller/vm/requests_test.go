package vm

import (
	"net/http"
	"reflect"
	"testing"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"

	v1 "vigil.dev/vigil/api/v1"
)

var reqNow = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)

func strategyVM(s v1.VirtualMachineRunStrategy) *v1.VirtualMachine {
	return &v1.VirtualMachine{
		ObjectMeta: metav1.ObjectMeta{Name: "vm1", Namespace: "default"},
		Spec:       v1.VirtualMachineSpec{RunStrategy: &s},
	}
}

func runningVM(running bool) *v1.VirtualMachine {
	return &v1.VirtualMachine{
		ObjectMeta: metav1.ObjectMeta{Name: "vm1", Namespace: "default"},
		Spec:       v1.VirtualMachineSpec{Running: &running},
	}
}

func phaseVMI(p v1.VirtualMachineInstancePhase) *v1.VirtualMachineInstance {
	return &v1.VirtualMachineInstance{
		ObjectMeta: metav1.ObjectMeta{Name: "vm1", Namespace: "default", UID: "uid-1"},
		Status:     v1.VirtualMachineInstanceStatus{Phase: p},
	}
}

func stopReq(uid types.UID) v1.VirtualMachineStateChangeRequest {
	return v1.VirtualMachineStateChangeRequest{Action: v1.StopRequest, UID: &uid}
}

var startReq = v1.VirtualMachineStateChangeRequest{Action: v1.StartRequest}

type requestCase struct {
	name    string
	vm      *v1.VirtualMachine
	vmi     *v1.VirtualMachineInstance
	wantErr string // full StatusError message; "" means accepted
	code    int32  // HTTP code of the refusal
	// after acceptance
	wantStrategy v1.VirtualMachineRunStrategy
	wantRunning  *bool // the deprecated field, when the VM uses it
	wantReqs     []v1.VirtualMachineStateChangeRequest
}

func refusal(msg string) string {
	return `Operation cannot be fulfilled on virtualmachine.kubevirt.io "vm1": ` + msg
}

func ptr[T any](v T) *T { return &v }

func runRequestCases(t *testing.T, fn func(*v1.VirtualMachine, *v1.VirtualMachineInstance, time.Time) error, cases []requestCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			before := tc.vm.DeepCopy()
			err := fn(tc.vm, tc.vmi, reqNow)
			if tc.wantErr != "" {
				checkRefusal(t, err, tc.wantErr, tc.code)
				if !reflect.DeepEqual(before, tc.vm) {
					t.Errorf("a refused request changed the VM: %+v", tc.vm)
				}
				return
			}
			if err != nil {
				t.Fatalf("unexpected error: %v", err)
			}
			checkAccepted(t, tc)
		})
	}
}

func checkRefusal(t *testing.T, err error, want string, code int32) {
	t.Helper()
	statusErr, ok := err.(*apierrors.StatusError)
	if !ok {
		t.Fatalf("error %v (%T), want *StatusError %q", err, err, want)
	}
	if statusErr.Error() != want {
		t.Errorf("message %q, want %q", statusErr.Error(), want)
	}
	if statusErr.ErrStatus.Code != code {
		t.Errorf("code %d, want %d", statusErr.ErrStatus.Code, code)
	}
}

func checkAccepted(t *testing.T, tc requestCase) {
	t.Helper()
	if tc.wantRunning != nil {
		if tc.vm.Spec.Running == nil || *tc.vm.Spec.Running != *tc.wantRunning || tc.vm.Spec.RunStrategy != nil {
			t.Errorf("running=%v runStrategy=%v, want running=%v only", tc.vm.Spec.Running, tc.vm.Spec.RunStrategy, *tc.wantRunning)
		}
	} else if got := RunStrategy(tc.vm); got != tc.wantStrategy || tc.vm.Spec.Running != nil {
		t.Errorf("strategy %s (running %v), want %s", got, tc.vm.Spec.Running, tc.wantStrategy)
	}
	if !reflect.DeepEqual(tc.vm.Status.StateChangeRequests, tc.wantReqs) {
		t.Errorf("requests %+v, want %+v", tc.vm.Status.StateChangeRequests, tc.wantReqs)
	}
}

const conflictCode = http.StatusConflict

func TestStart(t *testing.T) {
	cases := []requestCase{
		{name: "Always without VMI", vm: strategyVM(v1.RunStrategyAlways), wantErr: refusal("Always does not support manual start requests"), code: conflictCode},
		{name: "Always running", vm: strategyVM(v1.RunStrategyAlways), vmi: phaseVMI(v1.Running), wantErr: refusal("VM is already running"), code: conflictCode},
		{name: "Always pending", vm: strategyVM(v1.RunStrategyAlways), vmi: phaseVMI(v1.Pending), wantErr: refusal("VM is already running"), code: conflictCode},
		{name: "Always failed", vm: strategyVM(v1.RunStrategyAlways), vmi: phaseVMI(v1.Failed), wantErr: refusal("Always does not support manual start requests"), code: conflictCode},
		{name: "Once without VMI", vm: strategyVM(v1.RunStrategyOnce), wantErr: refusal("Once does not support manual start requests"), code: conflictCode},
		{name: "Once succeeded", vm: strategyVM(v1.RunStrategyOnce), vmi: phaseVMI(v1.Succeeded), wantErr: refusal("Once does not support manual start requests"), code: conflictCode},
		{name: "Halted without VMI", vm: strategyVM(v1.RunStrategyHalted), wantStrategy: v1.RunStrategyAlways},
		{name: "Halted with succeeded VMI", vm: strategyVM(v1.RunStrategyHalted), vmi: phaseVMI(v1.Succeeded), wantStrategy: v1.RunStrategyAlways},
		{name: "Halted with running VMI", vm: strategyVM(v1.RunStrategyHalted), vmi: phaseVMI(v1.Running), wantErr: refusal("VM is already running"), code: conflictCode},
		{name: "running false", vm: runningVM(false), wantRunning: ptr(true)},
		{name: "running true", vm: runningVM(true), wantErr: refusal("Always does not support manual start requests"), code: conflictCode},
		{name: "running unset", vm: &v1.VirtualMachine{ObjectMeta: metav1.ObjectMeta{Name: "vm1"}}, wantRunning: ptr(true)},
		{name: "Manual without VMI", vm: strategyVM(v1.RunStrategyManual), wantStrategy: v1.RunStrategyManual, wantReqs: []v1.VirtualMachineStateChangeRequest{startReq}},
		{name: "Manual unknown phase", vm: strategyVM(v1.RunStrategyManual), vmi: phaseVMI(v1.Unknown), wantStrategy: v1.RunStrategyManual, wantReqs: []v1.VirtualMachineStateChangeRequest{startReq}},
		{name: "Manual succeeded", vm: strategyVM(v1.RunStrategyManual), vmi: phaseVMI(v1.Succeeded), wantStrategy: v1.RunStrategyManual, wantReqs: []v1.VirtualMachineStateChangeRequest{stopReq("uid-1"), startReq}},
		{name: "Manual failed", vm: strategyVM(v1.RunStrategyManual), vmi: phaseVMI(v1.Failed), wantStrategy: v1.RunStrategyManual, wantReqs: []v1.VirtualMachineStateChangeRequest{stopReq("uid-1"), startReq}},
		{name: "Manual running", vm: strategyVM(v1.RunStrategyManual), vmi: phaseVMI(v1.Running), wantErr: refusal("VM is already running"), code: conflictCode},
		{name: "RerunOnFailure without VMI", vm: strategyVM(v1.RunStrategyRerunOnFailure), wantStrategy: v1.RunStrategyRerunOnFailure, wantReqs: []v1.VirtualMachineStateChangeRequest{startReq}},
		{name: "RerunOnFailure succeeded", vm: strategyVM(v1.RunStrategyRerunOnFailure), vmi: phaseVMI(v1.Succeeded), wantStrategy: v1.RunStrategyRerunOnFailure, wantReqs: []v1.VirtualMachineStateChangeRequest{stopReq("uid-1"), startReq}},
		{name: "RerunOnFailure failed", vm: strategyVM(v1.RunStrategyRerunOnFailure), vmi: phaseVMI(v1.Failed), wantErr: refusal("RerunOnFailure does not support starting VM from failed state"), code: conflictCode},
		{name: "RerunOnFailure scheduling", vm: strategyVM(v1.RunStrategyRerunOnFailure), vmi: phaseVMI(v1.Scheduling), wantErr: refusal("VM is already running"), code: conflictCode},
		{name: "Manual with request pending", vm: withRequests(strategyVM(v1.RunStrategyManual), startReq), wantErr: "Internal error occurred: unable to complete request: stop/start already underway", code: http.StatusInternalServerError},
	}
	runRequestCases(t, Start, cases)
}

func TestStop(t *testing.T) {
	cases := []requestCase{
		{name: "Always running", vm: strategyVM(v1.RunStrategyAlways), vmi: phaseVMI(v1.Running), wantStrategy: v1.RunStrategyHalted},
		{name: "Always without VMI", vm: strategyVM(v1.RunStrategyAlways), wantStrategy: v1.RunStrategyHalted},
		{name: "Once running", vm: strategyVM(v1.RunStrategyOnce), vmi: phaseVMI(v1.Running), wantStrategy: v1.RunStrategyHalted},
		{name: "Once succeeded", vm: strategyVM(v1.RunStrategyOnce), vmi: phaseVMI(v1.Succeeded), wantStrategy: v1.RunStrategyHalted},
		{name: "running true", vm: runningVM(true), vmi: phaseVMI(v1.Running), wantRunning: ptr(false)},
		{name: "running false without VMI", vm: runningVM(false), wantErr: refusal("VM is not running"), code: conflictCode},
		{name: "Halted without VMI", vm: strategyVM(v1.RunStrategyHalted), wantErr: refusal("VM is not running"), code: conflictCode},
		{name: "Halted failed", vm: strategyVM(v1.RunStrategyHalted), vmi: phaseVMI(v1.Failed), wantErr: refusal("VM is not running"), code: conflictCode},
		{name: "Halted running", vm: strategyVM(v1.RunStrategyHalted), vmi: phaseVMI(v1.Running), wantErr: refusal("Halted only supports manual stop requests with a shorter graceperiod"), code: conflictCode},
		{name: "Manual running", vm: strategyVM(v1.RunStrategyManual), vmi: phaseVMI(v1.Running), wantStrategy: v1.RunStrategyManual, wantReqs: []v1.VirtualMachineStateChangeRequest{stopReq("uid-1")}},
		{name: "Manual pending replaces queued start", vm: withRequests(strategyVM(v1.RunStrategyManual), startReq), vmi: phaseVMI(v1.Pending), wantStrategy: v1.RunStrategyManual, wantReqs: []v1.VirtualMachineStateChangeRequest{stopReq("uid-1")}},
		{name: "Manual without VMI", vm: strategyVM(v1.RunStrategyManual), wantErr: refusal("VM is not running"), code: conflictCode},
		{name: "Manual succeeded", vm: strategyVM(v1.RunStrategyManual), vmi: phaseVMI(v1.Succeeded), wantErr: refusal("VM is not running"), code: conflictCode},
		{name: "RerunOnFailure running", vm: strategyVM(v1.RunStrategyRerunOnFailure), vmi: phaseVMI(v1.Running), wantStrategy: v1.RunStrategyRerunOnFailure, wantReqs: []v1.VirtualMachineStateChangeRequest{stopReq("uid-1")}},
		{name: "RerunOnFailure failed", vm: strategyVM(v1.RunStrategyRerunOnFailure), vmi: phaseVMI(v1.Failed), wantErr: refusal("VM is not running"), code: conflictCode},
	}
	runRequestCases(t, Stop, cases)
}

func TestRestart(t *testing.T) {
	restart := []v1.VirtualMachineStateChangeRequest{stopReq("uid-1"), startReq}
	cases := []requestCase{
		{name: "Halted", vm: strategyVM(v1.RunStrategyHalted), vmi: phaseVMI(v1.Running), wantErr: refusal("RunStategy Halted does not support manual restart requests"), code: conflictCode},
		{name: "running false", vm: runningVM(false), wantErr: refusal("RunStategy Halted does not support manual restart requests"), code: conflictCode},
		{name: "Once", vm: strategyVM(v1.RunStrategyOnce), vmi: phaseVMI(v1.Running), wantErr: refusal("RunStategy Once does not support manual restart requests"), code: conflictCode},
		{name: "Always without VMI", vm: strategyVM(v1.RunStrategyAlways), wantErr: refusal("VM is not running: Halted"), code: conflictCode},
		{name: "Manual without VMI", vm: strategyVM(v1.RunStrategyManual), wantErr: refusal("VM is not running: Halted"), code: conflictCode},
		{name: "Always running", vm: strategyVM(v1.RunStrategyAlways), vmi: phaseVMI(v1.Running), wantStrategy: v1.RunStrategyAlways, wantReqs: restart},
		{name: "running true", vm: runningVM(true), vmi: phaseVMI(v1.Running), wantRunning: ptr(true), wantReqs: restart},
		{name: "Manual running", vm: strategyVM(v1.RunStrategyManual), vmi: phaseVMI(v1.Running), wantStrategy: v1.RunStrategyManual, wantReqs: restart},
		{name: "Manual succeeded", vm: strategyVM(v1.RunStrategyManual), vmi: phaseVMI(v1.Succeeded), wantStrategy: v1.RunStrategyManual, wantReqs: restart},
		{name: "RerunOnFailure failed", vm: strategyVM(v1.RunStrategyRerunOnFailure), vmi: phaseVMI(v1.Failed), wantStrategy: v1.RunStrategyRerunOnFailure, wantReqs: restart},
		{name: "Always with request pending", vm: withRequests(strategyVM(v1.RunStrategyAlways), stopReq("uid-0")), vmi: phaseVMI(v1.Running), wantErr: "Internal error occurred: unable to complete request: stop/start already underway", code: http.StatusInternalServerError},
	}
	runRequestCases(t, Restart, cases)
}

func TestRequestsClearStartFailure(t *testing.T) {
	vm := strategyVM(v1.RunStrategyManual)
	vm.Status.StartFailure = &v1.VirtualMachineStartFailure{ConsecutiveFailCount: 3}
	if err := Start(vm, phaseVMI(v1.Failed), reqNow); err != nil {
		t.Fatal(err)
	}
	if vm.Status.StartFailure != nil {
		t.Errorf("startFailure %+v kept, want it cleared so the start is not held back", vm.Status.StartFailure)
	}
}

func withRequests(vm *v1.VirtualMachine, reqs ...v1.VirtualMachineStateChangeRequest) *v1.VirtualMachine {
	vm.Status.StateChangeRequests = reqs
	return vm
}
