// Package framework runs the real vigil binary for end-to-end tests: it
// builds `vigil` once per test binary, starts `vigil serve` with its own data
// dir and socket inside a network namespace made for the test (so nothing
// the daemon or its VMs do touches the host's network), runs CLI commands
// against it, and can kill -9 and restart it.
//
// It never fakes a component: the store is the daemon's embedded etcd, VMs
// are real QEMU processes. Waits use generous deadlines and fail with a
// message that says what was awaited and what was last seen.
package framework
