// Package vm measures what running real VMs costs and how fast it is:
// from `vigil create` to the QEMU process started (control-plane overhead),
// to the guest agent connected and to the guest's HTTP server answering;
// the daemon's resident memory per running VMI; the host processes per VM.
//
//	go test -run '^$' -bench . -benchtime 1x ./test/bench/vm [-vms 4]
//
// It runs in private namespaces (nstest.Main) like the end-to-end tests.
package vm
