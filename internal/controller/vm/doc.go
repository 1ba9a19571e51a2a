// Package vm is the VirtualMachine controller: it keeps, for every
// VirtualMachine, the VirtualMachineInstance its run strategy asks for,
// consumes start/stop requests, backs off VMIs that crash before running,
// and writes the VM's status (created, ready, printableStatus, conditions).
//
// Pure decisions, tested with tables and no clock:
//   - requests.go: the start/stop/restart subresources' rules and KubeVirt's
//     refusals, as functions the API server calls before it writes the VM.
//   - decide.go, pending.go, backoff.go, status.go, strategy.go: Decide,
//     which maps a VM, its VMI and the time to what must happen.
//   - vmi.go: NewVMI, the VMI built from a VM's template.
//
// A thin reconciler around them:
//   - controller.go, reconcile.go: workers that Decide per VM, write the
//     status, then create or delete the VMI through the API interface.
//     VMs and VMIs come from internal/controller/informer (list+watch into
//     caches, relisting after an expired or broken watch) and the work
//     comes from its keyed queue with delayed adds (backoff timers).
//
// It must not touch the store, QEMU or the node: it only creates and
// deletes VMIs and updates VM status through the API.
package vm
