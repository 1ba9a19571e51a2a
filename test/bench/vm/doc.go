// Package vm measures what running real VMs costs and how fast it is:
// from `vigil create` to the QEMU process started (control-plane overhead),
// to the guest agent connected and to the guest's HTTP server answering;
// the daemon's resident memory, Go heap in use, goroutines and OS threads
// per running VMI; the host processes per VM.
//
//	go test -run '^$' -bench . -benchtime 1x ./test/bench/vm [-vms 4]
//
// Memory is measured against two baselines: "idle", a daemon that has run
// one VM and deleted it (-warmup, on by default: the first VM grows the
// Go heap to its collector's target once), and "cold", a daemon that has
// run nothing.
//
// With -profile DIR the daemon runs with --debug-pprof, and its heap and
// goroutine profiles are saved idle, loaded and 30 s later (steady), for
//
//	go tool pprof -top -inuse_space -base DIR/idle-heap.pb.gz DIR/loaded-heap.pb.gz
//	go tool pprof -top -alloc_space -base DIR/loaded-heap.pb.gz DIR/steady-heap.pb.gz
//
// (GODEBUG=memprofilerate=4096 samples finer than the default 512 KiB).
// Fetching a profile forces a GC, so figures of -profile runs are not
// comparable with plain ones.
//
// It runs in private namespaces (nstest.Main) like the end-to-end tests.
package vm
