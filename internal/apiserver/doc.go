// Package apiserver serves vigil's Kubernetes-shaped HTTP API over the
// object store (internal/store.Interface): kube-style REST paths for every
// kind of internal/resource, watch streams, the status subresource,
// KubeVirt's start/stop/restart subresources, health and version endpoints,
// and the transport rules (a trusted unix socket; HTTPS with a bearer token
// on TCP).
//
// What it owns: parsing requests, turning them into store calls, and writing
// replies the way a Kubernetes API server does (metav1.Status errors with
// the right code, Warning headers, chunked watch events), so that kubectl
// habits and client-go expectations carry over. What it must not do: decide
// per-kind rules (internal/registry does: defaults, validation, status and
// generation handling) or run-state decisions (internal/controller/vm
// decides what a start/stop/restart request means).
//
// Why our own code instead of k8s.io/apiserver: its generic server brings
// admission chains, authn/z plugins, OpenAPI machinery and a storage layer
// of its own; vigil serves five kinds from one store, and the few hundred
// lines here are easier to read, test and fuzz than that framework is to
// configure. Where Kubernetes' behaviour is subtle and a library holds it,
// the library does the work: strategic merge patch (apimachinery's
// strategicpatch) and server-side apply (apimachinery's managedfields). Paths are parsed by hand (route.go) so that every malformed
// path gets a Status reply rather than a router's plain-text 404.
//
// Behaviour worth knowing:
//   - Watches with label or field selectors follow Kubernetes: an object
//     that stops matching is reported DELETED, one that starts matching
//     ADDED. When a watch resumes from a resourceVersion the server cannot
//     know what the client already holds, so an object it has not reported
//     in this stream that stops matching is simply not sent.
//   - Deleting a VirtualMachine deletes the VirtualMachineInstances it
//     controls (ownerReferences with controller=true and the VM's uid) right
//     after the VM is gone, in the same request; there is no foreground
//     deletion. propagationPolicy=Orphan leaves them.
//   - Health endpoints (/healthz, /livez, /readyz) need no token on TCP; every
//     other path does.
//   - An unmodified kubectl works (docs/kubectl-notes.md): discovery in both
//     forms (aggregated v2/v2beta1 negotiated by Accept, and legacy), OpenAPI
//     v3 and v2 generated from the Go types by reflection over their json
//     and patch tags (openapi_schema.go), server-side printing as Tables with
//     internal/printers' columns, in lists and watches.
//   - fieldValidation defaults to Strict (Kubernetes defaults to Warn): a
//     typo in a manifest fails naming the field, for vigil's CLI and for
//     kubectl, which sends Strict anyway. Warn and Ignore drop unknown fields.
//   - The Go runtime's profiles (net/http/pprof, under /debug/pprof/) are
//     served only when Config.DebugPprof is set (`vigil serve
//     --debug-pprof`), and only on trusted listeners: never over TCP.
//   - Server-side apply tracks managedFields from an object's first apply on;
//     objects only ever created and updated carry none, so their writers own
//     nothing until then. Lists are merged by key only where the Go types'
//     patch tags or a few known markers say so; others are atomic.
package apiserver
