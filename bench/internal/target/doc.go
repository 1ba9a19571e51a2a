// Package target is the benchmark's loopback server: the probes' targets,
// run in a process of its own (the harness binary started with -serve) so
// that the server's CPU is not counted as the probers'.
//
// It answers as cheaply as it can, so that on a two-core machine it takes
// little from the prober under test: the HTTP listener reads one request
// head, writes a fixed response and closes; the TCP listener accepts and
// closes. Paths:
//
//	/ok                    200 with a two-byte body
//	/flip/PERIOD_MS/PHASE_MS  200 or 503, alternating every PERIOD_MS,
//	                       shifted by PHASE_MS: targets whose readiness
//	                       changes, for the reaction measurement
package target
