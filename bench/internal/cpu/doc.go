// Package cpu measures what one probe costs the prober's process: CPU
// time (user + system, from getrusage(RUSAGE_SELF), so garbage collection
// and the runtime's other threads count), heap allocations, and wall time,
// over a fixed number of sequential probes against the loopback server.
//
// The implementations are measured in interleaved rounds and each one's
// median round is reported: on a shared machine the background load
// drifts, and interleaving exposes every implementation to the same drift.
package cpu
