package vm

import (
	"testing"

	v1 "vigil.dev/vigil/api/v1"
	"vigil.dev/vigil/internal/resource"
)

func TestManualStartAndStop(t *testing.T) {
	h := startWith(t, v1.RunStrategyManual, nil)
	h.settleQuiet()
	if h.vmi() != nil {
		t.Fatal("Manual created a VMI unasked")
	}
	h.expectPrintable(v1.VirtualMachineStatusStopped)

	h.request(Start)
	h.settleQuiet()
	if h.vmi() == nil || len(h.vm().Status.StateChangeRequests) != 0 {
		t.Fatalf("after start: VMI %v, requests %v", h.vmi(), h.vm().Status.StateChangeRequests)
	}
	h.run()
	h.request(Stop)
	h.settleQuiet()
	if h.vmi() != nil || len(h.vm().Status.StateChangeRequests) != 0 {
		t.Fatalf("after stop: VMI %v, requests %v", h.vmi(), h.vm().Status.StateChangeRequests)
	}
	h.expectPrintable(v1.VirtualMachineStatusStopped)
}

func TestRestartReplacesTheVMI(t *testing.T) {
	for _, s := range []v1.VirtualMachineRunStrategy{v1.RunStrategyAlways, v1.RunStrategyRerunOnFailure, v1.RunStrategyManual} {
		t.Run(string(s), func(t *testing.T) {
			h := startWith(t, s, nil)
			if s == v1.RunStrategyManual {
				h.request(Start)
			}
			h.run()
			first := h.vmi().UID
			h.request(Restart)
			h.settleQuiet()
			if vmi := h.vmi(); vmi == nil || vmi.UID == first {
				t.Fatalf("VMI %+v, want a new one", vmi)
			}
			if reqs := h.vm().Status.StateChangeRequests; len(reqs) != 0 {
				t.Fatalf("requests %v left", reqs)
			}
		})
	}
}

func TestStopOfAnAlwaysVMHaltsIt(t *testing.T) {
	h := startWith(t, v1.RunStrategyAlways, nil)
	h.run()
	h.request(Stop)
	h.settleQuiet()
	if h.vmi() != nil || RunStrategy(h.vm()) != v1.RunStrategyHalted {
		t.Fatalf("VMI %v strategy %s, want none and Halted", h.vmi(), RunStrategy(h.vm()))
	}
}

func TestRerunOnFailure(t *testing.T) {
	h := startWith(t, v1.RunStrategyRerunOnFailure, nil)
	h.run()
	first := h.vmi().UID
	h.end(v1.Failed)
	h.settleQuiet()
	second := h.vmi()
	if second == nil || second.UID == first {
		t.Fatalf("a Failed VMI was not replaced: %+v", second)
	}
	h.run()
	h.end(v1.Succeeded)
	h.settleQuiet()
	if vmi := h.vmi(); vmi == nil || vmi.UID != second.UID {
		t.Fatalf("a Succeeded VMI was touched: %+v", vmi)
	}
	h.expectPrintable(v1.VirtualMachineStatusStopped)

	h.request(Start) // replaces the Succeeded VMI
	h.settleQuiet()
	if vmi := h.vmi(); vmi == nil || vmi.UID == second.UID || vmi.Status.Phase != v1.Pending {
		t.Fatalf("start did not replace the Succeeded VMI: %+v", vmi)
	}
}

func TestOnceRunsOneVMI(t *testing.T) {
	h := startWith(t, v1.RunStrategyOnce, nil)
	h.run()
	h.end(v1.Failed)
	h.settleQuiet()
	if vmi := h.vmi(); vmi == nil || vmi.Status.Phase != v1.Failed {
		t.Fatalf("VMI %+v, want the Failed one left", vmi)
	}
	h.api.remove(resource.VirtualMachineInstances, "default/vm1")
	h.settleQuiet()
	if h.vmi() != nil {
		t.Fatal("Once created a second VMI")
	}
	if n := h.api.callCount("create virtualmachineinstances"); n != 1 {
		t.Fatalf("%d creates, want 1", n)
	}
}
