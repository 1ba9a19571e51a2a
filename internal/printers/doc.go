// Package printers holds the table columns and row builders of every kind
// vigil serves: one definition that both `vigil get` (internal/cli) and the
// API server's server-side printing (`as=Table`, which kubectl asks for)
// use, so the CLI and kubectl show the same columns and the same cells.
//
// What it owns: column names (Kubernetes style, "Cluster-IP"; printed
// upper-case), which columns are wide-only (priority 1), and pure functions
// from a typed object and a clock (`now`) to cells. What it must not do:
// read the clock, talk to the API, or align text (internal/cli aligns; the
// API server sends cells and kubectl aligns).
//
// Why our own code instead of Kubernetes' pkg/printers: that package lives
// in k8s.io/kubernetes (not importable as a library) and prints kinds we do
// not serve; five kinds' columns are a page of code.
package printers
