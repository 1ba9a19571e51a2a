package registry

import (
	"fmt"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	apimachineryvalidation "k8s.io/apimachinery/pkg/api/validation"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/validation/field"

	"vigil.dev/vigil/internal/resource"
)

// Strategy is the set of rules of one kind. Every method gets objects of the
// kind's Go type (r.New()'s type); metadata has already been through the
// common steps of BeforeCreate / BeforeUpdate.
type Strategy interface {
	// PrepareForCreate clears what a client may not set on create (status
	// for kinds with a status subresource) and applies the kind's defaults.
	PrepareForCreate(obj runtime.Object, now time.Time)
	// Validate checks a new object, metadata included.
	Validate(obj runtime.Object) field.ErrorList
	// Warnings are non-fatal remarks on a new or updated object.
	Warnings(obj runtime.Object) []string
	// PrepareForUpdate fixes up an update of the main resource: it keeps the
	// old status (kinds with a status subresource) and applies defaults.
	PrepareForUpdate(newObj, oldObj runtime.Object)
	// PrepareForStatusUpdate makes an update of /status change status only.
	PrepareForStatusUpdate(newObj, oldObj runtime.Object)
	// ValidateUpdate checks the kind's rules for a change of the main
	// resource (metadata immutables are checked by BeforeUpdate).
	ValidateUpdate(newObj, oldObj runtime.Object) field.ErrorList
}

// For returns the strategy of a served resource.
func For(r *resource.Info) (Strategy, error) {
	switch r {
	case resource.VirtualMachines:
		return vmStrategy{}, nil
	case resource.VirtualMachineInstances:
		return vmiStrategy{}, nil
	case resource.Services:
		return serviceStrategy{}, nil
	case resource.Endpoints:
		return endpointsStrategy{}, nil
	case resource.Events:
		return eventStrategy{}, nil
	}
	return nil, fmt.Errorf("registry: no strategy for resource %q", r.Resource)
}

// BeforeCreate runs the create steps in Kubernetes' order: server-owned
// metadata is cleared, the strategy prepares the object (status, defaults),
// and the result is validated. The name must already be generated from
// generateName. It returns the warnings to pass to the client, or an
// Invalid API error (422) naming every bad field.
func BeforeCreate(r *resource.Info, obj runtime.Object, now time.Time) ([]string, error) {
	s, err := For(r)
	if err != nil {
		return nil, apierrors.NewInternalError(err)
	}
	m, err := meta.Accessor(obj)
	if err != nil {
		return nil, apierrors.NewInternalError(fmt.Errorf("registry: %s object without metadata: %w", r.Kind, err))
	}
	m.SetDeletionTimestamp(nil)
	m.SetDeletionGracePeriodSeconds(nil)
	m.SetGeneration(1)
	m.SetResourceVersion("")
	m.SetUID("")
	m.SetCreationTimestamp(metav1.Time{})
	m.SetManagedFields(nil)
	s.PrepareForCreate(obj, now)
	if errs := s.Validate(obj); len(errs) > 0 {
		return nil, invalid(r, m.GetName(), errs)
	}
	return s.Warnings(obj), nil
}

// BeforeUpdate runs the update steps for the main resource: fields the
// client cannot change (uid when omitted, creationTimestamp, deletion
// fields, generation) are taken from the stored object, the strategy
// prepares the object, generation moves when the object changed outside
// metadata and status, and the result is validated. newObj must carry the
// resourceVersion the update is meant for.
func BeforeUpdate(r *resource.Info, newObj, oldObj runtime.Object) ([]string, error) {
	s, err := For(r)
	if err != nil {
		return nil, apierrors.NewInternalError(err)
	}
	newMeta, oldMeta, err := accessors(r, newObj, oldObj)
	if err != nil {
		return nil, err
	}
	keepServerMeta(newMeta, oldMeta)
	s.PrepareForUpdate(newObj, oldObj)
	if err := UpdateGeneration(r, newObj, oldObj); err != nil {
		return nil, apierrors.NewInternalError(err)
	}
	errs := validateMetaUpdate(newMeta, oldMeta)
	errs = append(errs, s.ValidateUpdate(newObj, oldObj)...)
	if len(errs) > 0 {
		return nil, invalid(r, newMeta.GetName(), errs)
	}
	return s.Warnings(newObj), nil
}

// BeforeStatusUpdate runs the steps of an update of /status: only status
// changes; spec and metadata (except resourceVersion, which the store checks)
// are those of the stored object, as for KubeVirt's custom resources.
func BeforeStatusUpdate(r *resource.Info, newObj, oldObj runtime.Object) error {
	if !r.HasStatus {
		return apierrors.NewNotFound(r.GroupResource(), "status")
	}
	s, err := For(r)
	if err != nil {
		return apierrors.NewInternalError(err)
	}
	newMeta, oldMeta, err := accessors(r, newObj, oldObj)
	if err != nil {
		return err
	}
	rv := newMeta.GetResourceVersion()
	s.PrepareForStatusUpdate(newObj, oldObj)
	newMeta.SetResourceVersion(rv)
	if errs := validateMetaUpdate(newMeta, oldMeta); len(errs) > 0 {
		return invalid(r, newMeta.GetName(), errs)
	}
	return nil
}

// keepServerMeta copies what only the server sets from the stored object,
// as Kubernetes' rest.BeforeUpdate does.
func keepServerMeta(newMeta, oldMeta metav1.Object) {
	newMeta.SetGeneration(oldMeta.GetGeneration())
	if newMeta.GetUID() == "" {
		newMeta.SetUID(oldMeta.GetUID())
	}
	newMeta.SetCreationTimestamp(oldMeta.GetCreationTimestamp())
	newMeta.SetDeletionTimestamp(oldMeta.GetDeletionTimestamp())
	newMeta.SetDeletionGracePeriodSeconds(oldMeta.GetDeletionGracePeriodSeconds())
	newMeta.SetManagedFields(oldMeta.GetManagedFields())
}

func validateMetaUpdate(newMeta, oldMeta metav1.Object) field.ErrorList {
	return apimachineryvalidation.ValidateObjectMetaAccessorUpdate(newMeta, oldMeta, field.NewPath("metadata"))
}

func accessors(r *resource.Info, newObj, oldObj runtime.Object) (metav1.Object, metav1.Object, error) {
	newMeta, err := meta.Accessor(newObj)
	if err != nil {
		return nil, nil, apierrors.NewInternalError(fmt.Errorf("registry: new %s without metadata: %w", r.Kind, err))
	}
	oldMeta, err := meta.Accessor(oldObj)
	if err != nil {
		return nil, nil, apierrors.NewInternalError(fmt.Errorf("registry: stored %s without metadata: %w", r.Kind, err))
	}
	return newMeta, oldMeta, nil
}

// invalid builds the 422 error Kubernetes answers for a bad object: one
// cause per field.
func invalid(r *resource.Info, name string, errs field.ErrorList) error {
	return apierrors.NewInvalid(r.GroupVersionKind().GroupKind(), name, errs)
}
