// Package prober runs one probe of one kind against one target and says
// what it found: the HTTP GET, TCP socket, guest-agent ping and guest
// exec handlers of a readiness or liveness probe. Each prober is built
// once per probe definition (checking its fields then) and run by a probe
// worker every period under a context that carries timeoutSeconds.
//
// It owns the mechanism only. Thresholds, periods, events, what a Failure
// leads to, resolving named ports and choosing the VMI's IP belong to the
// worker and manager (package probe); holding the guest-agent connection
// belongs to the node agent (package qga is the client). A prober touches
// no state outside its own call and leaves no goroutine behind.
//
// The semantics are kubelet's (pkg/probe/http and tcp), point by point in
// docs/probe-semantics.md: a fresh connection per probe, 2xx Success, 3xx
// Warning, same-host redirects followed, at most 10 KiB of body read,
// HTTPS unverified, errors worded as net/http words them.
//
// Why our own HTTP/1.1 client instead of net/http's: a probe is one GET
// on one fresh connection, with no pooling, proxying, compression or
// HTTP/2 to negotiate, and thousands of them run every second on a busy
// host. net/http's client spends most of its CPU on what a probe does not
// need (a persistConn with its own reader and writer goroutines per
// connection, header maps, the Response machinery). Writing a request
// serialised once at construction and parsing the status line and the
// three headers that matter (Content-Length, Transfer-Encoding, Location)
// from a pooled bufio.Reader costs a fraction of that; the bench module
// measures both against kubelet's own probe code.
package prober
