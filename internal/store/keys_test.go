package store

import (
	"testing"

	apierrors "k8s.io/apimachinery/pkg/api/errors"

	"vigil.dev/vigil/internal/resource"
)

// nodes is a cluster-scoped resource for key tests (the served table has none).
var nodes = &resource.Info{Version: "v1", Resource: "nodes", Kind: "Node"}

func TestObjectKey(t *testing.T) {
	k := keyspace{prefix: "/vigil/"}
	tests := []struct {
		r               *resource.Info
		namespace, name string
		want            string
		bad             bool
	}{
		{r: resource.VirtualMachines, namespace: "ns", name: "vm", want: "/vigil/kubevirt.io/virtualmachines/ns/vm"},
		{r: resource.Services, namespace: "default", name: "web", want: "/vigil/core/services/default/web"},
		{r: nodes, namespace: "ignored", name: "n1", want: "/vigil/core/nodes/n1"},
		{r: resource.Services, namespace: "", name: "web", bad: true},
		{r: resource.Services, namespace: "default", name: "", bad: true},
		{r: resource.Services, namespace: "a/b", name: "web", bad: true},
		{r: resource.Services, namespace: "default", name: "we/b", bad: true},
	}
	for _, tt := range tests {
		got, err := k.objectKey(tt.r, tt.namespace, tt.name)
		switch {
		case tt.bad && !apierrors.IsBadRequest(err):
			t.Errorf("objectKey(%s, %q, %q) = %q, %v; want BadRequest", tt.r.Resource, tt.namespace, tt.name, got, err)
		case !tt.bad && (err != nil || got != tt.want):
			t.Errorf("objectKey(%s, %q, %q) = %q, %v; want %q", tt.r.Resource, tt.namespace, tt.name, got, err, tt.want)
		}
	}
}

func TestCollectionPrefix(t *testing.T) {
	k := keyspace{prefix: "/p/"}
	tests := []struct {
		r         *resource.Info
		namespace string
		want      string
	}{
		{resource.Services, "", "/p/core/services/"},
		{resource.Services, "ns", "/p/core/services/ns/"},
		{resource.VirtualMachineInstances, "ns", "/p/kubevirt.io/virtualmachineinstances/ns/"},
		{nodes, "ns", "/p/core/nodes/"},
	}
	for _, tt := range tests {
		if got, err := k.collectionPrefix(tt.r, tt.namespace); err != nil || got != tt.want {
			t.Errorf("collectionPrefix(%s, %q) = %q, %v; want %q", tt.r.Resource, tt.namespace, got, err, tt.want)
		}
	}
}
