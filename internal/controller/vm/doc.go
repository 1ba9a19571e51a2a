// Package vm is the VirtualMachine controller: it keeps, for every
// VirtualMachine, the VirtualMachineInstance its run strategy asks for,
// consumes start/stop requests, backs off VMIs that crash before running,
// and writes the VM's status (created, ready, printableStatus, conditions).
//
// The package is split into pure decisions and a thin reconciler:
//   - requests.go: the start/stop/restart subresources' rules, as pure
//     functions the API server calls before it writes the VM.
//   - decide*.go, backoff.go, status.go: Decide, which maps a VM, its VMI and
//     the time to what must happen. It never reads a clock or the API.
//   - controller.go, cache.go, queue.go: list+watch of VMs and VMIs, a
//     keyed work queue, and applying decisions through the API interface.
//
// It must not touch the store, QEMU or the node: it only creates and
// deletes VMIs and updates VM status through the API. The informer and
// queue are small own code rather than client-go's, because client-go's
// informers want a typed clientset and drag in most of that module, while
// vigil's client already speaks list/watch for its own kinds.
package vm
