// Package store keeps vigil's API objects in etcd and implements Interface,
// the contract the API server and controllers rely on: typed CRUD with
// optimistic concurrency (resourceVersion is the etcd modification revision
// of the object's key), paged lists read at one revision, and watches that
// resume from a revision with no gaps.
//
// By default Open starts an embedded single-member etcd under
// <DataDir>/etcd that listens only on unix sockets inside that directory
// (loopback TCP when the path is too long for a socket), so several daemons
// on one host never collide; with Config.Endpoints it talks to an existing
// etcd cluster instead. etcd keeps its own durability guarantees: every
// acknowledged write has been fsynced to its WAL (the unsafe-no-fsync option
// is never used), so nothing acknowledged is lost on kill -9.
//
// Layout: one key per object,
// <prefix><group or "core">/<resource>/<namespace>/<name> (cluster-scoped
// resources have no namespace segment), whose value is the object's JSON
// with apiVersion and kind set and resourceVersion left out.
//
// The package owns the etcd keys under its prefix and the embedded server's
// data directory; it does not validate or default objects (the API server
// does) and knows nothing of what the objects mean. It is our own code
// rather than k8s.io/apiserver's storage layer because that one drags in the
// whole generic API server machinery (schemes, codecs, cachers, feature
// gates) for the small subset vigil needs.
package store
