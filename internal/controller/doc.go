// Package controller holds vigil's controllers: loops that watch objects
// through the API and drive the world towards what they say.
//
// Subpackages:
//   - vm: turns VirtualMachines into VirtualMachineInstances following each
//     VM's run strategy, start/stop/restart requests and the crash-loop
//     backoff, and keeps the VM status in line with its VMI.
//   - endpoints: keeps an Endpoints object per Service with a selector,
//     listing the selected VMIs, ready or not.
//   - informer: list+watch caches and a keyed work queue shared by the
//     endpoints controller and the Services dataplane (internal/proxy).
//
// Controllers talk to the API server only through a small client interface
// and never touch the store, QEMU or the network; the node agent runs VMIs.
package controller
