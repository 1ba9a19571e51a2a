// Package resource is the table of kinds vigil serves: for each, its group,
// version, plural and short names, scope and Go types. The API server builds
// its routes and discovery from it, the client its URLs, the CLI its
// `vigil get vm|vmi|svc|...` vocabulary. It holds no behaviour of its own.
package resource
