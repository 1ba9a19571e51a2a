// Package controlplane holds the end-to-end tests of the control plane: the
// real `vigil serve` (embedded etcd, API server, VM controller) driven by the
// real CLI. No node runs VMs here (--node=false): the tests move VMI phases
// through the API the way a node would, to check the run strategies.
package controlplane
