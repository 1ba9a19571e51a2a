package resource

import (
	"path"
	"strings"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"

	v1 "vigil.dev/vigil/api/v1"
)

// Info describes one served resource.
type Info struct {
	Group      string // "" for core
	Version    string
	Resource   string // plural, lower case: "virtualmachines"
	Singular   string // "virtualmachine"
	Kind       string
	ListKind   string
	ShortNames []string
	Namespaced bool
	// HasStatus: the resource has a /status subresource, and updates of the
	// main resource leave status alone.
	HasStatus bool
	New       func() runtime.Object
	NewList   func() runtime.Object
}

// GroupResource is the group and plural name, as API errors name them.
func (i *Info) GroupResource() schema.GroupResource {
	return schema.GroupResource{Group: i.Group, Resource: i.Resource}
}

// GroupVersionKind is the kind's full name.
func (i *Info) GroupVersionKind() schema.GroupVersionKind {
	return schema.GroupVersionKind{Group: i.Group, Version: i.Version, Kind: i.Kind}
}

// APIVersion is the apiVersion field value: "kubevirt.io/v1" or "v1".
func (i *Info) APIVersion() string {
	return schema.GroupVersion{Group: i.Group, Version: i.Version}.String()
}

// Path is the URL path of a collection (name == "") or an object.
// An empty namespace on a namespaced resource gives the cluster-wide collection.
func (i *Info) Path(namespace, name string) string {
	p := "/apis/" + i.Group + "/" + i.Version
	if i.Group == "" {
		p = "/api/" + i.Version
	}
	if i.Namespaced && namespace != "" {
		p += "/namespaces/" + namespace
	}
	p += "/" + i.Resource
	if name != "" {
		p = path.Join(p, name)
	}
	return p
}

// Served resources.
var (
	VirtualMachines = &Info{
		Group: v1.GroupName, Version: "v1", Resource: "virtualmachines", Singular: "virtualmachine",
		Kind: "VirtualMachine", ListKind: "VirtualMachineList", ShortNames: []string{"vm", "vms"},
		Namespaced: true, HasStatus: true,
		New:     func() runtime.Object { return &v1.VirtualMachine{} },
		NewList: func() runtime.Object { return &v1.VirtualMachineList{} },
	}
	VirtualMachineInstances = &Info{
		Group: v1.GroupName, Version: "v1", Resource: "virtualmachineinstances", Singular: "virtualmachineinstance",
		Kind: "VirtualMachineInstance", ListKind: "VirtualMachineInstanceList", ShortNames: []string{"vmi", "vmis"},
		Namespaced: true, HasStatus: true,
		New:     func() runtime.Object { return &v1.VirtualMachineInstance{} },
		NewList: func() runtime.Object { return &v1.VirtualMachineInstanceList{} },
	}
	Services = &Info{
		Version: "v1", Resource: "services", Singular: "service",
		Kind: "Service", ListKind: "ServiceList", ShortNames: []string{"svc"},
		Namespaced: true, HasStatus: true,
		New:     func() runtime.Object { return &corev1.Service{} },
		NewList: func() runtime.Object { return &corev1.ServiceList{} },
	}
	Endpoints = &Info{
		Version: "v1", Resource: "endpoints", Singular: "endpoints",
		Kind: "Endpoints", ListKind: "EndpointsList", ShortNames: []string{"ep"},
		Namespaced: true,
		New:        func() runtime.Object { return &corev1.Endpoints{} },
		NewList:    func() runtime.Object { return &corev1.EndpointsList{} },
	}
	Events = &Info{
		Version: "v1", Resource: "events", Singular: "event",
		Kind: "Event", ListKind: "EventList", ShortNames: []string{"ev"},
		Namespaced: true,
		New:        func() runtime.Object { return &corev1.Event{} },
		NewList:    func() runtime.Object { return &corev1.EventList{} },
	}
)

// All lists every served resource.
var All = []*Info{VirtualMachines, VirtualMachineInstances, Services, Endpoints, Events}

// Lookup finds a resource by plural, singular or short name, or kind, case-insensitively,
// optionally qualified by group ("virtualmachines.kubevirt.io").
func Lookup(name string) (*Info, bool) {
	name = strings.ToLower(name)
	group := ""
	if i := strings.IndexByte(name, '.'); i > 0 {
		name, group = name[:i], name[i+1:]
	}
	for _, r := range All {
		if group != "" && group != r.Group {
			continue
		}
		if name == r.Resource || name == r.Singular || name == strings.ToLower(r.Kind) {
			return r, true
		}
		for _, s := range r.ShortNames {
			if name == s {
				return r, true
			}
		}
	}
	return nil, false
}

// ForKind finds the resource serving a kind of an apiVersion ("kubevirt.io/v1", "VirtualMachine").
func ForKind(apiVersion, kind string) (*Info, bool) {
	for _, r := range All {
		if r.APIVersion() == apiVersion && r.Kind == kind {
			return r, true
		}
	}
	return nil, false
}
