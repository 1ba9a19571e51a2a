// Package qmp is vigil's client for the QEMU Machine Protocol: the JSON
// control socket of one QEMU process (`-qmp unix:SOCK,server=on,wait=off`).
//
// It owns the connection, the capabilities handshake, request/reply
// matching and the event stream. It does not start, stop or find QEMU
// processes (internal/qemu does), and it decides nothing about VM state: it
// reports what QEMU says.
//
// Why our own client: there is no maintained Go library. The best known one,
// digitalocean/go-qemu, sends no request ids and has no timeouts, so a reply
// can be taken for the wrong command and a silent QEMU hangs the caller (the
// Incus project dropped it for exactly such a hang).
//
// How it works: one reader goroutine reads bounded lines (a line longer than
// Options.MaxLineBytes is a protocol error that closes the client). Every
// command carries a unique numeric id and waits on its own buffered channel;
// replies are matched by id, so they may arrive in any order, and a reply
// that arrives after its caller gave up is dropped without harm. When the
// connection ends, every pending command fails with ErrClosed and
// Disconnected() is closed.
//
// Events are hints, not state: QEMU emits them once and never repeats them,
// and a consumer that falls behind must not stall replies. So the reader
// never blocks on the event channel; when the bounded buffer is full the
// oldest event is dropped and counted (Dropped). Anyone who needs the truth
// asks QEMU (QueryStatus) instead of replaying events.
package qmp
