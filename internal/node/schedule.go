package node

import (
	"fmt"
	"slices"
	"sort"
	"strings"

	v1 "vigil.dev/vigil/api/v1"
)

// HostnameLabel is the node label every node carries, as in Kubernetes.
const HostnameLabel = "kubernetes.io/hostname"

// Finalizer keeps a VMI in the API until this node has stopped its QEMU and
// cleaned up after it.
const Finalizer = "vigil.dev/node-shutdown"

// nodeLabels are the labels a nodeSelector is matched against.
func nodeLabels(nodeName string) map[string]string {
	return map[string]string{HostnameLabel: nodeName}
}

// unmatchedSelector returns the nodeSelector entries the labels do not
// satisfy, sorted; none means the VMI may run here.
func unmatchedSelector(selector, labels map[string]string) []string {
	var miss []string
	for k, want := range selector {
		if got, ok := labels[k]; !ok || got != want {
			miss = append(miss, k+"="+want)
		}
	}
	sort.Strings(miss)
	return miss
}

// unschedulableMessage says why a VMI cannot run on this node.
func unschedulableMessage(nodeName string, miss []string) string {
	return fmt.Sprintf("spec.nodeSelector: node %q does not match %s (its labels: %s=%s)",
		nodeName, strings.Join(miss, ", "), HostnameLabel, nodeName)
}

// hasFinalizer reports whether the VMI carries the node's finalizer.
func hasFinalizer(vmi *v1.VirtualMachineInstance) bool {
	return slices.Contains(vmi.Finalizers, Finalizer)
}

// addFinalizer adds the node's finalizer; it reports whether it changed vmi.
func addFinalizer(vmi *v1.VirtualMachineInstance) bool {
	if hasFinalizer(vmi) {
		return false
	}
	vmi.Finalizers = append(vmi.Finalizers, Finalizer)
	return true
}

// removeFinalizer removes the node's finalizer; it reports whether it
// changed vmi.
func removeFinalizer(vmi *v1.VirtualMachineInstance) bool {
	if !hasFinalizer(vmi) {
		return false
	}
	vmi.Finalizers = slices.DeleteFunc(vmi.Finalizers, func(f string) bool { return f == Finalizer })
	if len(vmi.Finalizers) == 0 {
		vmi.Finalizers = nil
	}
	return true
}

// key names a VMI for logs and errors.
func key(vmi *v1.VirtualMachineInstance) string { return vmi.Namespace + "/" + vmi.Name }
