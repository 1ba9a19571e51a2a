// Package sched runs the load half of the benchmark: N targets, each
// probed every period by a scheduler under test, measuring lateness
// (actual start - scheduled start), reaction (end of a probe that changed
// a target's published readiness - return of the call that stored it),
// CPU per probe and memory per worker.
//
// A scheduler is plugged in through the Scheduler interface; this package
// has two: vigil's probe manager (internal/probe) and a naive one, a
// goroutine per target with a time.Ticker, as kubelet's probe workers do,
// which can run vigil's or kubelet's probers.
package sched
