package cli

import (
	"time"

	"k8s.io/apimachinery/pkg/runtime"

	v1 "vigil.dev/vigil/api/v1"
	"vigil.dev/vigil/internal/printers"
	"vigil.dev/vigil/internal/resource"
)

// The row builders live in internal/printers, shared with the API server's
// server-side printing so that `vigil get` and `kubectl get` agree; these
// names keep the CLI's call sites short.

func vmRow(obj runtime.Object, now time.Time, wide bool) ([]string, error) {
	return kindRow(resource.VirtualMachines, obj, now, wide)
}

func vmiRow(obj runtime.Object, now time.Time, wide bool) ([]string, error) {
	return kindRow(resource.VirtualMachineInstances, obj, now, wide)
}

func runStrategy(vm *v1.VirtualMachine) v1.VirtualMachineRunStrategy { return printers.RunStrategy(vm) }

func vmiIP(vmi *v1.VirtualMachineInstance) string { return printers.VMIIP(vmi) }

func vmiReady(vmi *v1.VirtualMachineInstance) string { return printers.VMIReady(vmi) }

// kindRow renders one object with the shared printer of its kind.
func kindRow(r *resource.Info, obj runtime.Object, now time.Time, wide bool) ([]string, error) {
	p, ok := printers.For(r)
	if !ok {
		return nil, errNoPrinter(r)
	}
	return p.Row(obj, now, wide)
}
