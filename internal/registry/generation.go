package registry

import (
	"fmt"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"

	v1 "vigil.dev/vigil/api/v1"
	"vigil.dev/vigil/internal/resource"
)

// UpdateGeneration sets newObj's metadata.generation to oldObj's plus one
// when the two differ anywhere outside metadata and status (compared with
// apimachinery's semantic equality, so 1Gi equals 1024Mi), and to oldObj's
// otherwise. Controllers compare it with status.observedGeneration.
func UpdateGeneration(r *resource.Info, newObj, oldObj runtime.Object) error {
	newMeta, err := meta.Accessor(newObj)
	if err != nil {
		return fmt.Errorf("registry: new %s without metadata: %w", r.Kind, err)
	}
	oldMeta, err := meta.Accessor(oldObj)
	if err != nil {
		return fmt.Errorf("registry: stored %s without metadata: %w", r.Kind, err)
	}
	newBody, err := bodyOf(newObj)
	if err != nil {
		return err
	}
	oldBody, err := bodyOf(oldObj)
	if err != nil {
		return err
	}
	gen := oldMeta.GetGeneration()
	if !equality.Semantic.DeepEqual(newBody, oldBody) {
		gen++
	}
	newMeta.SetGeneration(gen)
	return nil
}

// bodyOf is the part of an object that counts for generation: everything
// but type, metadata and status.
func bodyOf(obj runtime.Object) (any, error) {
	switch o := obj.(type) {
	case *v1.VirtualMachine:
		return o.Spec, nil
	case *v1.VirtualMachineInstance:
		return o.Spec, nil
	case *corev1.Service:
		return o.Spec, nil
	case *corev1.Endpoints:
		return o.Subsets, nil
	case *corev1.Event:
		c := o.DeepCopy()
		c.TypeMeta = metav1.TypeMeta{}
		c.ObjectMeta = metav1.ObjectMeta{}
		return c, nil
	}
	return nil, fmt.Errorf("registry: no generation rule for %T", obj)
}
