package vm

import v1 "vigil.dev/vigil/api/v1"

// RunStrategy is the strategy in force for vm: spec.runStrategy when set,
// else Always for running: true and Halted for running: false or unset.
func RunStrategy(vm *v1.VirtualMachine) v1.VirtualMachineRunStrategy {
	if vm.Spec.RunStrategy != nil {
		return *vm.Spec.RunStrategy
	}
	if vm.Spec.Running != nil && *vm.Spec.Running {
		return v1.RunStrategyAlways
	}
	return v1.RunStrategyHalted
}
