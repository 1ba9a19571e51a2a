// Package probes holds the end-to-end tests of readiness and liveness
// probes on real VMs: httpGet (with the seed's Custom-Header), tcpSocket,
// guestAgentPing and exec, their thresholds and initial delay, and what a
// liveness failure does under each run strategy. Periods are short (2 s) to
// keep the suite fast. The test binary runs in private namespaces
// (nstest.Main), so the daemon and every connection stay inside them.
package probes
