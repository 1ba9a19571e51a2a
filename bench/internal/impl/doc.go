// Package impl lists the probe implementations the harness compares,
// all behind vigil's prober.Prober interface: vigil's own probers,
// kubelet's (k8s.io/kubernetes/pkg/probe/http and tcp, as kubelet calls
// them), net/http's client configured two ways, and a bare baseline.
package impl
