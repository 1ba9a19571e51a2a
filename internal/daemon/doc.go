// Package daemon is `vigil serve`: it owns the process-level life of the
// daemon. It takes the data directory's lock, opens the store (embedded
// etcd or an external cluster), serves the API on the unix socket (and, when
// asked, on TCP with TLS and a bearer token), starts the background
// components (VM controller, node agent) that talk to the API through the
// socket, and on shutdown stops everything in reverse order, each step
// with a deadline.
//
// It must not contain API, controller or node logic: those live in
// internal/apiserver, internal/controller and internal/node and are plugged
// in through Config.Components. A component that fails is logged and the
// daemon keeps serving the API: the API and the store stay useful (to
// inspect, to delete) even when, say, the node agent cannot start on a host
// without a bridge. Only the daemon's own foundations (lock, store, socket)
// stop it.
package daemon
