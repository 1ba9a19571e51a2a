package proxy

import (
	"context"
	"fmt"
	"sync"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/apimachinery/pkg/watch"

	v1 "vigil.dev/vigil/api/v1"
	"vigil.dev/vigil/internal/client"
	"vigil.dev/vigil/internal/resource"
)

// fakeAPI serves empty lists and one watch stream per resource, fed by the
// test: events reach the proxy exactly as the API server's would.
type fakeAPI struct {
	mu      sync.Mutex
	streams map[*resource.Info]*watch.FakeWatcher
	served  map[*resource.Info]bool
	rv      int
}

func newFakeAPI() *fakeAPI {
	f := &fakeAPI{streams: map[*resource.Info]*watch.FakeWatcher{}, served: map[*resource.Info]bool{}}
	for _, r := range []*resource.Info{resource.Services, resource.VirtualMachineInstances, resource.Endpoints} {
		f.streams[r] = watch.NewFakeWithChanSize(1024, false)
	}
	return f
}

func (f *fakeAPI) List(_ context.Context, _ *resource.Info, _ string, _ client.ListOptions, into runtime.Object) error {
	acc, err := meta.ListAccessor(into)
	if err != nil {
		return err
	}
	acc.SetResourceVersion("1")
	return nil
}

func (f *fakeAPI) Watch(_ context.Context, r *resource.Info, _ string, _ client.ListOptions) (watch.Interface, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.served[r] {
		return nil, apierrors.NewServiceUnavailable("the test serves one stream per resource")
	}
	f.served[r] = true
	return f.streams[r], nil
}

// send delivers one event; the object gets the next resourceVersion.
func (f *fakeAPI) send(r *resource.Info, t watch.EventType, obj runtime.Object) {
	f.mu.Lock()
	f.rv++
	obj = obj.DeepCopyObject()
	obj.(metav1.Object).SetResourceVersion(fmt.Sprint(f.rv + 1))
	w := f.streams[r]
	f.mu.Unlock()
	w.Action(t, obj)
}

func testService(name, clusterIP string, selector map[string]string) *corev1.Service {
	return &corev1.Service{
		ObjectMeta: metav1.ObjectMeta{Namespace: "shop", Name: name, UID: types.UID("uid-" + name)},
		Spec: corev1.ServiceSpec{Selector: selector, ClusterIP: clusterIP,
			Ports: []corev1.ServicePort{{Name: "http", Port: 80, TargetPort: intstr.FromInt32(targetPort), Protocol: corev1.ProtocolTCP}}},
	}
}

func testVMI(name, ip string, ready bool) *v1.VirtualMachineInstance {
	status := corev1.ConditionFalse
	if ready {
		status = corev1.ConditionTrue
	}
	return &v1.VirtualMachineInstance{
		ObjectMeta: metav1.ObjectMeta{Namespace: "shop", Name: name, UID: types.UID("uid-" + name), Labels: map[string]string{"app": "web"}},
		Status: v1.VirtualMachineInstanceStatus{Phase: v1.Running,
			Interfaces: []v1.VirtualMachineInstanceNetworkInterface{{IP: ip}},
			Conditions: []v1.VirtualMachineInstanceCondition{{Type: v1.VirtualMachineInstanceReady, Status: status}}},
	}
}
