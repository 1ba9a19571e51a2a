// Package controlplane benchmarks the control plane as users meet it: the
// real `vigil serve` with its embedded etcd, driven over its Unix socket.
// It reports create/get/list latency percentiles and throughput for N
// VirtualMachines, the daemon's resident memory idle and holding them, and
// the time from exec to /readyz answering.
//
//	go test -run '^$' -bench . -benchtime 1x ./test/bench/controlplane [-vms 1000]
package controlplane
