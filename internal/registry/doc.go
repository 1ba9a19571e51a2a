// Package registry holds the per-kind rules the API server applies before it
// writes an object: what a client may not set on create (status, server-owned
// metadata), which defaults apply, how an update of the main resource differs
// from an update of /status, when metadata.generation moves, and which
// validation runs. It is the equivalent of the "strategies" of Kubernetes'
// generic registry (pkg/registry/*/strategy.go), cut down to the kinds vigil
// serves (internal/resource.All).
//
// The package is pure: it reads no clock (callers pass `now`), does no I/O
// and never touches the store. The kubevirt.io/v1 defaults and validation
// themselves live in api/v1; this package only decides when they run. Core
// kinds (Service, Endpoints, Event) get a deliberately small validation of
// their own here, enough to keep nonsense out of the store and the dataplane.
//
// Why our own code instead of k8s.io/apiserver's registry: that module drags
// in the whole generic API server (admission, storage, authn/z) for what are,
// for five kinds, a few hundred lines of rules.
package registry
