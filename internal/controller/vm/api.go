package vm

import (
	"context"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/watch"

	"vigil.dev/vigil/internal/client"
	"vigil.dev/vigil/internal/events"
	"vigil.dev/vigil/internal/resource"
)

// API is what the controller needs of the API server. *client.Client
// satisfies it; tests use an in-memory fake. Errors are Kubernetes API
// errors (NotFound, AlreadyExists, Conflict, Gone...).
type API interface {
	Get(ctx context.Context, r *resource.Info, ns, name string, into runtime.Object) error
	List(ctx context.Context, r *resource.Info, ns string, opts client.ListOptions, into runtime.Object) error
	// Create stores obj; obj is replaced by the server's answer.
	Create(ctx context.Context, r *resource.Info, obj runtime.Object) error
	UpdateStatus(ctx context.Context, r *resource.Info, obj runtime.Object) error
	Update(ctx context.Context, r *resource.Info, obj runtime.Object) error
	Delete(ctx context.Context, r *resource.Info, ns, name string, opts metav1.DeleteOptions) error
	Watch(ctx context.Context, r *resource.Info, ns string, opts client.ListOptions) (watch.Interface, error)
}

var _ API = (*client.Client)(nil)

// EventRecorder records Kubernetes events about an object
// (*events.Recorder satisfies it). It must not block.
type EventRecorder interface {
	Event(obj runtime.Object, eventType, reason, message string)
}

var _ EventRecorder = (*events.Recorder)(nil)

// Event reasons on VMs, as KubeVirt's VM controller names them.
const (
	ReasonSuccessfulCreate = "SuccessfulCreate"
	ReasonSuccessfulDelete = "SuccessfulDelete"
	ReasonFailedCreate     = "FailedCreate"
	ReasonFailedDelete     = "FailedDelete"
)

// discardEvents is the recorder used when none is given.
type discardEvents struct{}

func (discardEvents) Event(runtime.Object, string, string, string) {}
