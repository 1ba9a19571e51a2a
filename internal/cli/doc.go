// Package cli is the vigil command line: `vigil serve` (the daemon, see
// serve.go) and every client subcommand, built with cobra.
//
// The client side (create, apply, delete, get, describe, start, stop,
// restart, wait, version, completion) follows kubectl's habits: the same
// flags (-f, -n, -o, -w, -A, -l, --for, --timeout), the same messages
// (`virtualmachine.kubevirt.io/x created`, `Error from server (NotFound):
// ...`, one `* field: message` line per cause of an Invalid answer) and the
// same table layout (upper-case headers, columns 3 spaces apart, AGE as
// kubectl's HumanDuration). It talks to the daemon only through
// internal/client and reads manifests only through internal/manifest; it
// must not default, validate or store objects itself: the server's answer
// is the truth it prints, and -o json prints that answer byte for byte.
// Table rows and describe output are pure functions of typed objects and a
// clock, so they are tested with a fixed `now`. Every command exits non-zero
// on any error.
//
// Why our own printing instead of k8s.io/cli-runtime and kubectl's
// describers: those pull in client-go, discovery, REST mapping and the
// OpenAPI machinery for a handful of kinds whose columns we know; a few
// small printers are easier to read and to test.
package cli
