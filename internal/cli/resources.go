package cli

import (
	"fmt"
	"strings"

	"vigil.dev/vigil/internal/resource"
)

// lookupType resolves a resource type as the user typed it (vm, vmis,
// services, virtualmachines.kubevirt.io...).
func lookupType(name string) (*resource.Info, error) {
	if r, ok := resource.Lookup(name); ok {
		return r, nil
	}
	return nil, fmt.Errorf("unknown resource type %q; known types: %s", name, knownTypes())
}

// knownTypes lists the served types with their first short name.
func knownTypes() string {
	parts := make([]string, 0, len(resource.All))
	for _, r := range resource.All {
		p := r.Resource
		if len(r.ShortNames) > 0 {
			p += " (" + r.ShortNames[0] + ")"
		}
		parts = append(parts, p)
	}
	return strings.Join(parts, ", ")
}

// typeNames parses "TYPE [NAME...]" or "TYPE/NAME [TYPE/NAME...]" (one type).
func typeNames(args []string) (*resource.Info, []string, error) {
	if len(args) == 0 {
		return nil, nil, fmt.Errorf("a resource type is required; known types: %s", knownTypes())
	}
	if !strings.Contains(args[0], "/") {
		r, err := lookupType(args[0])
		if err != nil {
			return nil, nil, err
		}
		for _, n := range args[1:] {
			if strings.Contains(n, "/") {
				return nil, nil, fmt.Errorf("%q: give either TYPE NAME... or TYPE/NAME..., not both", n)
			}
		}
		return r, args[1:], nil
	}
	var r *resource.Info
	names := make([]string, 0, len(args))
	for _, a := range args {
		t, n, ok := strings.Cut(a, "/")
		if !ok || t == "" || n == "" {
			return nil, nil, fmt.Errorf("%q: want TYPE/NAME", a)
		}
		rt, err := lookupType(t)
		if err != nil {
			return nil, nil, err
		}
		if r != nil && rt != r {
			return nil, nil, fmt.Errorf("%q: one resource type at a time (already %s)", a, r.Resource)
		}
		r = rt
		names = append(names, n)
	}
	return r, names, nil
}

// kindGroup is how kubectl names a kind in messages: "virtualmachine.kubevirt.io", "service".
func kindGroup(r *resource.Info) string {
	k := strings.ToLower(r.Kind)
	if r.Group != "" {
		k += "." + r.Group
	}
	return k
}

// resourceGroup is "virtualmachines.kubevirt.io", "services": how API errors name a resource.
func resourceGroup(r *resource.Info) string {
	return r.GroupResource().String()
}

// objectRef is "virtualmachine.kubevirt.io/NAME", as -o name and create print it.
func objectRef(r *resource.Info, name string) string { return kindGroup(r) + "/" + name }
