package store

import (
	"fmt"
	"strings"

	apierrors "k8s.io/apimachinery/pkg/api/errors"

	"vigil.dev/vigil/internal/resource"
)

// coreGroup names the core ("") API group in keys.
const coreGroup = "core"

// keyspace maps resources and objects to etcd keys under one prefix.
type keyspace struct {
	prefix string // starts and ends with "/"
}

// resourcePrefix is where every object of r lives:
// <prefix><group>/<resource>/.
func (k keyspace) resourcePrefix(r *resource.Info) string {
	group := r.Group
	if group == "" {
		group = coreGroup
	}
	return k.prefix + group + "/" + r.Resource + "/"
}

// collectionPrefix is where the objects of r in namespace live; an empty
// namespace (or a cluster-scoped r) gives the whole resource.
func (k keyspace) collectionPrefix(r *resource.Info, namespace string) (string, error) {
	p := k.resourcePrefix(r)
	if !r.Namespaced || namespace == "" {
		return p, nil
	}
	if err := checkSegment(r, "metadata.namespace", namespace); err != nil {
		return "", err
	}
	return p + namespace + "/", nil
}

// objectKey is the key of one object. The namespace of a cluster-scoped
// resource is ignored.
func (k keyspace) objectKey(r *resource.Info, namespace, name string) (string, error) {
	if err := checkSegment(r, "metadata.name", name); err != nil {
		return "", err
	}
	if !r.Namespaced {
		return k.resourcePrefix(r) + name, nil
	}
	if namespace == "" {
		return "", apierrors.NewBadRequest(fmt.Sprintf("%s %q: metadata.namespace is required", r.Resource, name))
	}
	if err := checkSegment(r, "metadata.namespace", namespace); err != nil {
		return "", err
	}
	return k.resourcePrefix(r) + namespace + "/" + name, nil
}

// checkSegment refuses a name that would shift the key's segments: the
// API server validates names, this keeps a bug elsewhere from writing
// into another namespace's keys.
func checkSegment(r *resource.Info, field, value string) error {
	switch {
	case value == "":
		return apierrors.NewBadRequest(fmt.Sprintf("%s: %s is required", r.Resource, field))
	case strings.ContainsAny(value, "/\x00"):
		return apierrors.NewBadRequest(fmt.Sprintf("%s %q: %s must not contain \"/\"", r.Resource, value, field))
	}
	return nil
}
