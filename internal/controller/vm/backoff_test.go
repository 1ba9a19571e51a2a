package vm

import (
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"

	v1 "vigil.dev/vigil/api/v1"
)

func fixedJitter(j float64) func() float64 { return func() float64 { return j } }

func TestBackoff(t *testing.T) {
	cases := []struct {
		n      int
		jitter func() float64
		want   time.Duration
	}{
		{1, nil, 10 * time.Second},
		{2, nil, 40 * time.Second},
		{3, nil, 90 * time.Second},
		{4, nil, 160 * time.Second},
		{5, nil, 250 * time.Second},
		{6, nil, 300 * time.Second},
		{50, nil, 300 * time.Second},
		{1_000_000, nil, 300 * time.Second},
		{0, nil, 10 * time.Second},
		{1, fixedJitter(0.5), 12 * time.Second},    // 10 + 2.5, whole seconds
		{1, fixedJitter(0.9999), 14 * time.Second}, // just under half again
		{2, fixedJitter(1), 60 * time.Second},      // half again at most
		{3, fixedJitter(0.5), 112 * time.Second},   // 90 + 22.5
		{4, fixedJitter(0.9), 232 * time.Second},   // 160 + 72
		{5, fixedJitter(0.9), 300 * time.Second},   // 250 + 112.5, capped
		{2, fixedJitter(-3), 40 * time.Second},     // a broken source cannot shorten
		{2, fixedJitter(7), 60 * time.Second},      // nor stretch past half
	}
	for _, c := range cases {
		if got := Backoff(c.n, c.jitter); got != c.want {
			t.Errorf("Backoff(%d) = %v, want %v", c.n, got, c.want)
		}
	}
}

func earlyFail(uid types.UID) *v1.VirtualMachineInstance {
	return vmiState{phase: v1.Failed, uid: uid}.build()
}

// TestCrashLoopSequence replays a VM whose VMIs keep failing before they
// run: each failure is counted once, the next start waits 10, 40, 90, 160,
// 250 then 300 s, the VM shows CrashLoopBackOff meanwhile, and a VMI that
// reaches Running clears the record.
func TestCrashLoopSequence(t *testing.T) {
	vm := strategyVM(v1.RunStrategyAlways)
	vm.Status.RunStrategy = v1.RunStrategyAlways
	now := t0
	waits := []time.Duration{10, 40, 90, 160, 250, 300, 300}
	for i, wait := range waits {
		uid := types.UID("uid-" + string(rune('a'+i)))
		d := Decide(Input{VM: vm, VMI: earlyFail(uid), Now: now})
		if d.DeleteUID != uid {
			t.Fatalf("failure %d: delete %q, want %q", i+1, d.DeleteUID, uid)
		}
		sf := d.Status.StartFailure
		if sf == nil || sf.ConsecutiveFailCount != i+1 || sf.LastFailedVMIUID != uid ||
			!sf.RetryAfterTimestamp.Time.Equal(now.Add(wait*time.Second)) {
			t.Fatalf("failure %d: startFailure %+v, want count %d retry at +%ds", i+1, sf, i+1, wait)
		}
		vm.Status = d.Status

		// The same failed VMI seen again is not counted twice.
		again := Decide(Input{VM: vm, VMI: earlyFail(uid), Now: now.Add(time.Second)})
		if again.Status.StartFailure.ConsecutiveFailCount != i+1 {
			t.Fatalf("failure %d counted twice: %+v", i+1, again.Status.StartFailure)
		}

		// Gone, and the backoff not over: no start, look again when it ends.
		waiting := Decide(Input{VM: vm, Now: now.Add(time.Second)})
		if waiting.Create || waiting.RequeueAfter != (wait-1)*time.Second {
			t.Fatalf("failure %d: create=%v requeue=%v, want a wait of %ds", i+1, waiting.Create, waiting.RequeueAfter, wait-1)
		}
		if waiting.Status.PrintableStatus != v1.VirtualMachineStatusCrashLoopBackOff {
			t.Fatalf("failure %d: printableStatus %s, want CrashLoopBackOff", i+1, waiting.Status.PrintableStatus)
		}

		// Backoff over: start.
		now = now.Add(wait * time.Second)
		if d := Decide(Input{VM: vm, Now: now}); !d.Create || d.Status.PrintableStatus != v1.VirtualMachineStatusStarting {
			t.Fatalf("failure %d: after the backoff create=%v status=%s", i+1, d.Create, d.Status.PrintableStatus)
		}
	}
	ran := vmiState{phase: v1.Running, ran: true, uid: "uid-ok"}.build()
	if d := Decide(Input{VM: vm, VMI: ran, Now: now}); d.Status.StartFailure != nil {
		t.Fatalf("a Running VMI left startFailure %+v", d.Status.StartFailure)
	}
}

func TestCrashLoopJitterFromInput(t *testing.T) {
	vm := strategyVM(v1.RunStrategyAlways)
	d := Decide(Input{VM: vm, VMI: earlyFail("x"), Now: t0, Jitter: fixedJitter(0.5)})
	if got := d.Status.StartFailure.RetryAfterTimestamp.Sub(t0); got != 12*time.Second {
		t.Fatalf("retry after %v, want 12s (10s plus half of half)", got)
	}
}

func TestStartFailureCounting(t *testing.T) {
	prior := &v1.VirtualMachineStartFailure{ConsecutiveFailCount: 2, LastFailedVMIUID: "old",
		RetryAfterTimestamp: &metav1.Time{Time: t0}}
	cases := []struct {
		name     string
		strategy v1.VirtualMachineRunStrategy
		vmi      *vmiState
		want     int // consecutive count after; 0 means no record
	}{
		{"Always failed early", v1.RunStrategyAlways, &vmiState{phase: v1.Failed}, 3},
		{"Always succeeded early", v1.RunStrategyAlways, &vmiState{phase: v1.Succeeded}, 3},
		{"Always succeeded early after a stop", v1.RunStrategyAlways, &vmiState{phase: v1.Succeeded, deleting: true}, 2},
		{"Always failed after running", v1.RunStrategyAlways, &vmiState{phase: v1.Failed, ran: true}, 0},
		{"Always running", v1.RunStrategyAlways, running, 0},
		{"Always pending keeps", v1.RunStrategyAlways, pending, 2},
		{"Always none keeps", v1.RunStrategyAlways, noVMI, 2},
		{"RerunOnFailure failed early", v1.RunStrategyRerunOnFailure, &vmiState{phase: v1.Failed}, 3},
		{"RerunOnFailure succeeded early is no crash", v1.RunStrategyRerunOnFailure, &vmiState{phase: v1.Succeeded}, 2},
		{"Manual clears", v1.RunStrategyManual, &vmiState{phase: v1.Failed}, 0},
		{"Halted clears", v1.RunStrategyHalted, noVMI, 0},
		{"Once clears", v1.RunStrategyOnce, &vmiState{phase: v1.Failed}, 0},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			vm := strategyVM(c.strategy)
			vm.Status.StartFailure = prior.DeepCopy()
			in := Input{VM: vm, Now: t0}
			if c.vmi != nil {
				in.VMI = c.vmi.build()
			}
			got := Decide(in).Status.StartFailure
			switch {
			case c.want == 0 && got != nil:
				t.Errorf("startFailure %+v, want none", got)
			case c.want != 0 && (got == nil || got.ConsecutiveFailCount != c.want):
				t.Errorf("startFailure %+v, want count %d", got, c.want)
			}
		})
	}
}

func TestRerunOnFailureBackoffHoldsTheReplacement(t *testing.T) {
	vm := strategyVM(v1.RunStrategyRerunOnFailure)
	vm.Status.RunStrategy = v1.RunStrategyRerunOnFailure
	d := Decide(Input{VM: vm, VMI: earlyFail("f1"), Now: t0})
	if d.DeleteUID != "f1" || len(d.Status.StateChangeRequests) != 1 {
		t.Fatalf("delete=%q requests=%v, want the failed VMI deleted and a start queued", d.DeleteUID, d.Status.StateChangeRequests)
	}
	vm.Status = d.Status
	d = Decide(Input{VM: vm, Now: t0.Add(4 * time.Second)})
	if d.Create || d.RequeueAfter != 6*time.Second || d.Status.PrintableStatus != v1.VirtualMachineStatusCrashLoopBackOff {
		t.Fatalf("create=%v requeue=%v status=%s, want to wait 6s in CrashLoopBackOff", d.Create, d.RequeueAfter, d.Status.PrintableStatus)
	}
	if d = Decide(Input{VM: vm, Now: t0.Add(10 * time.Second)}); !d.Create {
		t.Fatal("no start once the backoff is over")
	}
}
