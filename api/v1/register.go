package v1

import (
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

// GroupName is KubeVirt's API group.
const GroupName = "kubevirt.io"

// SubresourceGroupName is the group of KubeVirt's start/stop/restart subresources.
const SubresourceGroupName = "subresources.kubevirt.io"

// SchemeGroupVersion is kubevirt.io/v1.
var SchemeGroupVersion = schema.GroupVersion{Group: GroupName, Version: "v1"}

// Kinds of this group.
var (
	VirtualMachineGroupVersionKind         = SchemeGroupVersion.WithKind("VirtualMachine")
	VirtualMachineInstanceGroupVersionKind = SchemeGroupVersion.WithKind("VirtualMachineInstance")
)

var (
	schemeBuilder = runtime.NewSchemeBuilder(addKnownTypes)
	// AddToScheme registers this group's kinds in a scheme.
	AddToScheme = schemeBuilder.AddToScheme
)

func addKnownTypes(scheme *runtime.Scheme) error {
	scheme.AddKnownTypes(SchemeGroupVersion,
		&VirtualMachine{}, &VirtualMachineList{},
		&VirtualMachineInstance{}, &VirtualMachineInstanceList{},
	)
	metav1.AddToGroupVersion(scheme, SchemeGroupVersion)
	return nil
}

// Scheme knows kubevirt.io/v1 and core/v1: every kind vigil serves.
var Scheme = newScheme()

func newScheme() *runtime.Scheme {
	s := runtime.NewScheme()
	if err := AddToScheme(s); err != nil {
		panic(err) // static registration; cannot fail at run time
	}
	if err := corev1.AddToScheme(s); err != nil {
		panic(err)
	}
	return s
}
