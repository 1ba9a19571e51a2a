package endpoints

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"

	v1 "vigil.dev/vigil/api/v1"
	"vigil.dev/vigil/internal/client"
	"vigil.dev/vigil/internal/resource"
)

// runController starts a controller against the test API until the test ends.
func runController(t *testing.T, c *client.Client) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	ctrl := New(c, Options{Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), RetryDelay: 50 * time.Millisecond})
	go func() { done <- ctrl.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("controller: %v", err)
		}
	})
}

// createVMI creates a VMI labelled app=web, then moves its status to
// Running with an address and the given readiness, as the node agent would.
func createVMI(t *testing.T, c *client.Client, ns, name, ip string, ready bool) *v1.VirtualMachineInstance {
	t.Helper()
	vmi := &v1.VirtualMachineInstance{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name, Labels: map[string]string{"app": "web"}},
		Spec: v1.VirtualMachineInstanceSpec{Domain: v1.DomainSpec{
			Firmware: &v1.Firmware{KernelBoot: &v1.KernelBoot{Container: &v1.KernelBootContainer{Image: "tiny"}}},
			Devices: v1.Devices{Interfaces: []v1.Interface{{Name: "default",
				InterfaceBindingMethod: v1.InterfaceBindingMethod{Bridge: &v1.InterfaceBridge{}},
				Ports:                  []v1.Port{{Name: "http", Port: 8080}}}}},
		}, Networks: []v1.Network{{Name: "default", NetworkSource: v1.NetworkSource{Pod: &v1.PodNetwork{}}}}},
	}
	ctx := context.Background()
	if err := c.Create(ctx, resource.VirtualMachineInstances, vmi); err != nil {
		t.Fatalf("create vmi %s: %v", name, err)
	}
	vmi.Status.Phase = v1.Running
	vmi.Status.NodeName = "node1"
	vmi.Status.Interfaces = []v1.VirtualMachineInstanceNetworkInterface{{Name: "default", IP: ip}}
	setReady(vmi, ready)
	if err := c.UpdateStatus(ctx, resource.VirtualMachineInstances, vmi); err != nil {
		t.Fatalf("status of vmi %s: %v", name, err)
	}
	return vmi
}

func setReady(vmi *v1.VirtualMachineInstance, ready bool) {
	status := corev1.ConditionFalse
	if ready {
		status = corev1.ConditionTrue
	}
	vmi.Status.Conditions = []v1.VirtualMachineInstanceCondition{{Type: v1.VirtualMachineInstanceReady, Status: status}}
}

func createService(t *testing.T, c *client.Client, ns, name string, selector map[string]string) {
	t.Helper()
	svc := &corev1.Service{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name},
		Spec: corev1.ServiceSpec{Selector: selector,
			Ports: []corev1.ServicePort{{Port: 80, TargetPort: intstr.FromString("http")}}},
	}
	if err := c.Create(context.Background(), resource.Services, svc); err != nil {
		t.Fatalf("create service %s: %v", name, err)
	}
}

// endpointsAre waits until the stored Endpoints read like want (see
// compact); want nil waits until they do not exist.
func endpointsAre(t *testing.T, c *client.Client, ns, name string, want []string) {
	t.Helper()
	eventually(t, func() (bool, string) {
		var ep corev1.Endpoints
		err := c.Get(context.Background(), resource.Endpoints, ns, name, &ep)
		switch {
		case want == nil && apierrors.IsNotFound(err):
			return true, ""
		case err != nil:
			return false, fmt.Sprintf("endpoints %s/%s: %v", ns, name, err)
		case want == nil:
			return false, fmt.Sprintf("endpoints %s/%s still exist", ns, name)
		}
		got := strings.Join(compact(&ep), "\n")
		return got == strings.Join(want, "\n"), fmt.Sprintf("endpoints %s/%s are\n%s\nwant\n%s", ns, name, got, strings.Join(want, "\n"))
	})
}

func TestControllerFollowsReadinessLabelsAndDeletion(t *testing.T) {
	c, ns, ctx := newClient(t), testNamespace(), context.Background()
	runController(t, c)
	a := createVMI(t, c, ns, "a", "10.89.0.5", true)
	createVMI(t, c, ns, "b", "10.89.0.6", false)
	createService(t, c, ns, "web", map[string]string{"app": "web"})
	endpointsAre(t, c, ns, "web", []string{"ready=[10.89.0.5/a] notReady=[10.89.0.6/b] ports=[:8080/TCP]"})

	setReady(a, false)
	if err := c.UpdateStatus(ctx, resource.VirtualMachineInstances, a); err != nil {
		t.Fatal(err)
	}
	endpointsAre(t, c, ns, "web", []string{"ready=[] notReady=[10.89.0.5/a 10.89.0.6/b] ports=[:8080/TCP]"})

	var b v1.VirtualMachineInstance
	if err := c.Get(ctx, resource.VirtualMachineInstances, ns, "b", &b); err != nil {
		t.Fatal(err)
	}
	b.Labels = map[string]string{"app": "other"}
	if err := c.Update(ctx, resource.VirtualMachineInstances, &b); err != nil {
		t.Fatal(err)
	}
	endpointsAre(t, c, ns, "web", []string{"ready=[] notReady=[10.89.0.5/a] ports=[:8080/TCP]"})

	if err := c.Delete(ctx, resource.Services, ns, "web", metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	endpointsAre(t, c, ns, "web", nil)
}

func TestControllerRepairsEndpointsAndLeavesTheUsersAlone(t *testing.T) {
	c, ns, ctx := newClient(t), testNamespace(), context.Background()
	// Left over from a Service deleted while the controller was down.
	orphan := &corev1.Endpoints{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "gone",
		Labels: map[string]string{ManagedByLabel: ManagedByValue}}}
	// Hand-written, for a Service without a selector.
	manual := &corev1.Endpoints{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "manual"},
		Subsets: []corev1.EndpointSubset{{Addresses: []corev1.EndpointAddress{{IP: "192.0.2.7"}},
			Ports: []corev1.EndpointPort{{Port: 443}}}}}
	for _, ep := range []*corev1.Endpoints{orphan, manual} {
		if err := c.Create(ctx, resource.Endpoints, ep); err != nil {
			t.Fatal(err)
		}
	}
	createService(t, c, ns, "manual", nil)
	createVMI(t, c, ns, "a", "10.89.0.5", true)
	createService(t, c, ns, "web", map[string]string{"app": "web"})
	runController(t, c)

	endpointsAre(t, c, ns, "gone", nil)
	endpointsAre(t, c, ns, "web", []string{"ready=[10.89.0.5/a] notReady=[] ports=[:8080/TCP]"})
	// Someone edits the controller's Endpoints: they are put back.
	var ep corev1.Endpoints
	if err := c.Get(ctx, resource.Endpoints, ns, "web", &ep); err != nil {
		t.Fatal(err)
	}
	ep.Subsets = nil
	if err := c.Update(ctx, resource.Endpoints, &ep); err != nil {
		t.Fatal(err)
	}
	endpointsAre(t, c, ns, "web", []string{"ready=[10.89.0.5/a] notReady=[] ports=[:8080/TCP]"})

	if err := c.Delete(ctx, resource.Services, ns, "manual", metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	// The user's Endpoints outlive their Service: wait until the
	// controller has seen the deletion (it syncs "web" after "manual" when
	// a VMI changes), then check.
	var a v1.VirtualMachineInstance
	if err := c.Get(ctx, resource.VirtualMachineInstances, ns, "a", &a); err != nil {
		t.Fatal(err)
	}
	setReady(&a, false)
	if err := c.UpdateStatus(ctx, resource.VirtualMachineInstances, &a); err != nil {
		t.Fatal(err)
	}
	endpointsAre(t, c, ns, "web", []string{"ready=[] notReady=[10.89.0.5/a] ports=[:8080/TCP]"})
	if err := c.Get(ctx, resource.Endpoints, ns, "manual", &ep); err != nil {
		t.Fatalf("the user's endpoints were removed with their service: %v", err)
	}
}
