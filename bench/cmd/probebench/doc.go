// Command probebench measures vigil's probers and probe scheduler against
// kubelet's probe code and bare baselines, on loopback only, and prints
// markdown tables for the README.
//
// Part 1 (-cpu): CPU time, allocations and wall time per probe, over a
// fixed number of sequential probes per implementation, against a
// loopback server running in a separate process (this binary started with
// -serve), so the server's CPU is not counted.
//
// Part 2 (-sched): N targets probed every period by a scheduler under
// test (vigil's probe manager, or one goroutine per target with a
// time.Ticker), reporting CPU per probe, lateness p50/p99/max, memory per
// worker, and reaction p50/p99.
package main
