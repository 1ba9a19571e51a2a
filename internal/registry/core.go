package registry

import (
	"time"

	corev1 "k8s.io/api/core/v1"
	apimachineryvalidation "k8s.io/apimachinery/pkg/api/validation"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

// serviceStrategy: Services. Names are DNS-1035 labels, as in Kubernetes,
// because a Service name becomes a DNS name.
type serviceStrategy struct{}

func (serviceStrategy) PrepareForCreate(obj runtime.Object, _ time.Time) {
	svc := obj.(*corev1.Service)
	svc.Status = corev1.ServiceStatus{}
	defaultService(svc)
}

func (serviceStrategy) Validate(obj runtime.Object) field.ErrorList {
	svc := obj.(*corev1.Service)
	errs := apimachineryvalidation.ValidateObjectMeta(&svc.ObjectMeta, true, apimachineryvalidation.NameIsDNS1035Label, metadataPath)
	return append(errs, validateServiceSpec(&svc.Spec, field.NewPath("spec"))...)
}

func (serviceStrategy) Warnings(runtime.Object) []string { return nil }

func (serviceStrategy) PrepareForUpdate(newObj, oldObj runtime.Object) {
	svc, old := newObj.(*corev1.Service), oldObj.(*corev1.Service)
	svc.Status = *old.Status.DeepCopy()
	defaultService(svc)
}

func (serviceStrategy) PrepareForStatusUpdate(newObj, oldObj runtime.Object) {
	svc, old := newObj.(*corev1.Service), oldObj.(*corev1.Service)
	svc.ObjectMeta = *old.ObjectMeta.DeepCopy()
	svc.Spec = *old.Spec.DeepCopy()
}

func (serviceStrategy) ValidateUpdate(newObj, _ runtime.Object) field.ErrorList {
	return validateServiceSpec(&newObj.(*corev1.Service).Spec, field.NewPath("spec"))
}

// defaultService applies the Kubernetes defaults vigil relies on: type
// ClusterIP, session affinity None, protocol TCP and targetPort = port.
func defaultService(svc *corev1.Service) {
	if svc.Spec.Type == "" {
		svc.Spec.Type = corev1.ServiceTypeClusterIP
	}
	if svc.Spec.SessionAffinity == "" {
		svc.Spec.SessionAffinity = corev1.ServiceAffinityNone
	}
	for i := range svc.Spec.Ports {
		p := &svc.Spec.Ports[i]
		if p.Protocol == "" {
			p.Protocol = corev1.ProtocolTCP
		}
		if p.TargetPort.Type == intstr.Int && p.TargetPort.IntVal == 0 {
			p.TargetPort = intstr.FromInt32(p.Port)
		}
	}
}

// endpointsStrategy: Endpoints, written by the endpoints controller.
type endpointsStrategy struct{}

func (endpointsStrategy) PrepareForCreate(obj runtime.Object, _ time.Time) {
	defaultEndpoints(obj.(*corev1.Endpoints))
}

func (endpointsStrategy) Validate(obj runtime.Object) field.ErrorList {
	ep := obj.(*corev1.Endpoints)
	errs := apimachineryvalidation.ValidateObjectMeta(&ep.ObjectMeta, true, apimachineryvalidation.NameIsDNSSubdomain, metadataPath)
	return append(errs, validateSubsets(ep.Subsets, field.NewPath("subsets"))...)
}

func (endpointsStrategy) Warnings(runtime.Object) []string { return nil }

func (endpointsStrategy) PrepareForUpdate(newObj, _ runtime.Object) {
	defaultEndpoints(newObj.(*corev1.Endpoints))
}

// defaultEndpoints sets the Kubernetes default protocol TCP on ports.
func defaultEndpoints(ep *corev1.Endpoints) {
	for i := range ep.Subsets {
		for j := range ep.Subsets[i].Ports {
			if ep.Subsets[i].Ports[j].Protocol == "" {
				ep.Subsets[i].Ports[j].Protocol = corev1.ProtocolTCP
			}
		}
	}
}

func (endpointsStrategy) PrepareForStatusUpdate(runtime.Object, runtime.Object) {}

func (endpointsStrategy) ValidateUpdate(newObj, _ runtime.Object) field.ErrorList {
	return validateSubsets(newObj.(*corev1.Endpoints).Subsets, field.NewPath("subsets"))
}

// eventStrategy: Events. Only metadata and the involved object's namespace
// are checked; events are a log, not a desired state.
type eventStrategy struct{}

func (eventStrategy) PrepareForCreate(runtime.Object, time.Time) {}

func (eventStrategy) Validate(obj runtime.Object) field.ErrorList {
	ev := obj.(*corev1.Event)
	errs := apimachineryvalidation.ValidateObjectMeta(&ev.ObjectMeta, true, apimachineryvalidation.NameIsDNSSubdomain, metadataPath)
	return append(errs, validateEvent(ev)...)
}

func (eventStrategy) Warnings(runtime.Object) []string { return nil }

func (eventStrategy) PrepareForUpdate(runtime.Object, runtime.Object) {}

func (eventStrategy) PrepareForStatusUpdate(runtime.Object, runtime.Object) {}

func (eventStrategy) ValidateUpdate(newObj, _ runtime.Object) field.ErrorList {
	return validateEvent(newObj.(*corev1.Event))
}

func validateEvent(ev *corev1.Event) field.ErrorList {
	var errs field.ErrorList
	if ns := ev.InvolvedObject.Namespace; ns != "" && ns != ev.Namespace {
		errs = append(errs, field.Invalid(field.NewPath("involvedObject", "namespace"), ns, "does not match event.namespace"))
	}
	if ev.Type != "" && ev.Type != corev1.EventTypeNormal && ev.Type != corev1.EventTypeWarning {
		errs = append(errs, field.NotSupported(field.NewPath("type"), ev.Type, []string{corev1.EventTypeNormal, corev1.EventTypeWarning}))
	}
	return errs
}
