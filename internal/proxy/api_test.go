package proxy

import (
	"context"
	"io"
	"log/slog"
	"net"
	"path/filepath"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"

	v1 "vigil.dev/vigil/api/v1"
	"vigil.dev/vigil/internal/apiserver"
	"vigil.dev/vigil/internal/client"
	"vigil.dev/vigil/internal/controller/endpoints"
	"vigil.dev/vigil/internal/network/nstest"
	"vigil.dev/vigil/internal/resource"
	"vigil.dev/vigil/internal/store"
)

// startAPI serves a real API server over a real store on a unix socket
// until the test ends, with the test's service subnet.
func startAPI(t *testing.T) *client.Client {
	t.Helper()
	dir := t.TempDir()
	ctx, cancel := context.WithCancel(context.Background())
	st, err := store.Open(ctx, store.Config{DataDir: filepath.Join(dir, "data")})
	if err != nil {
		t.Fatal(err)
	}
	srv, err := apiserver.New(apiserver.Config{Store: st, Version: "test", ServiceSubnet: testConfig.ServiceSubnet})
	if err != nil {
		t.Fatal(err)
	}
	sock := filepath.Join(dir, "api.sock")
	l, err := net.Listen("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ctx, apiserver.Listener{Listener: l, Trusted: true}) }()
	t.Cleanup(func() {
		cancel()
		<-served
		st.Close()
	})
	c, err := client.New(client.Config{Server: "unix://" + sock})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// apiVMI creates a VMI labelled app=web and moves its status to Running
// with an address and a readiness, as the node agent does.
func apiVMI(t *testing.T, c *client.Client, name, ip string, ready bool) *v1.VirtualMachineInstance {
	t.Helper()
	vmi := &v1.VirtualMachineInstance{
		ObjectMeta: metav1.ObjectMeta{Namespace: "shop", Name: name, Labels: map[string]string{"app": "web"}},
		Spec: v1.VirtualMachineInstanceSpec{Domain: v1.DomainSpec{
			Firmware: &v1.Firmware{KernelBoot: &v1.KernelBoot{Container: &v1.KernelBootContainer{Image: "tiny"}}},
		}},
	}
	if err := c.Create(context.Background(), resource.VirtualMachineInstances, vmi); err != nil {
		t.Fatal(err)
	}
	vmi.Status.Phase = v1.Running
	vmi.Status.Interfaces = []v1.VirtualMachineInstanceNetworkInterface{{IP: ip}}
	setReady(t, c, vmi, ready)
	return vmi
}

func setReady(t *testing.T, c *client.Client, vmi *v1.VirtualMachineInstance, ready bool) {
	t.Helper()
	status := corev1.ConditionFalse
	if ready {
		status = corev1.ConditionTrue
	}
	vmi.Status.Conditions = []v1.VirtualMachineInstanceCondition{{Type: v1.VirtualMachineInstanceReady, Status: status}}
	if err := c.UpdateStatus(context.Background(), resource.VirtualMachineInstances, vmi); err != nil {
		t.Fatal(err)
	}
}

// The whole chain but the node agent: Service created through the API
// (cluster IP allocated), VMI readiness written to the API, the proxy and
// the endpoints controller watching it, connections from a VM namespace.
func TestThroughTheAPIReadinessDecidesWhereConnectionsGo(t *testing.T) {
	top := newTopology(t)
	c := startAPI(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	p := New(c, Options{Config: testConfig, Logger: quiet})
	ctrl := endpoints.New(c, endpoints.Options{Logger: quiet})
	done := make(chan struct{}, 2)
	go func() { _ = p.Run(ctx); done <- struct{}{} }()
	go func() { _ = ctrl.Run(ctx); done <- struct{}{} }()
	defer func() { cancel(); <-done; <-done }()

	svc := &corev1.Service{ObjectMeta: metav1.ObjectMeta{Namespace: "shop", Name: "web"},
		Spec: corev1.ServiceSpec{Selector: map[string]string{"app": "web"},
			Ports: []corev1.ServicePort{{Port: 80, TargetPort: intstr.FromInt32(targetPort)}}}}
	if err := c.Create(ctx, resource.Services, svc); err != nil {
		t.Fatal(err)
	}
	vip := svc.Spec.ClusterIP + ":80"
	if svc.Spec.ClusterIP != "10.96.0.1" {
		t.Fatalf("cluster IP %q, want the subnet's first, 10.96.0.1", svc.Spec.ClusterIP)
	}
	a := apiVMI(t, c, "a", backendA, true)
	b := apiVMI(t, c, "b", backendB, true)
	waitFor(t, func() bool {
		h := tryHits(top.client, vip, 40)
		return h["backend-"+backendA] > 0 && h["backend-"+backendB] > 0
	})

	start := time.Now()
	setReady(t, c, b, false)
	waitProgrammed(t, p, 1)
	t.Logf("readiness written to the API -> rules applied: %v", time.Since(start))
	if got := hits(t, top.client, vip, 50); got["backend-"+backendA] != 50 {
		t.Fatalf("with b unready, connections reached %v", got)
	}
	setReady(t, c, a, false)
	waitProgrammed(t, p, 0)
	refused(t, top.client, vip)

	var ep corev1.Endpoints
	waitFor(t, func() bool {
		return c.Get(ctx, resource.Endpoints, "shop", "web", &ep) == nil && len(ep.Subsets) == 1 &&
			len(ep.Subsets[0].Addresses) == 0 && len(ep.Subsets[0].NotReadyAddresses) == 2
	})
}

// tryHits is hits without failing: for waiting until the rules are in.
func tryHits(ns *nstest.NS, addr string, n int) map[string]int {
	got := map[string]int{}
	for range n {
		c, name, err := dial(ns, addr)
		if err != nil {
			return got
		}
		c.Close()
		got[name]++
	}
	return got
}

// waitProgrammed waits until the dataplane has loaded rules with n
// endpoints in all.
func waitProgrammed(t *testing.T, p *Proxy, n int) {
	t.Helper()
	waitFor(t, func() bool {
		p.dp.mu.Lock()
		defer p.dp.mu.Unlock()
		got := 0
		for _, u := range p.dp.programmed {
			got += len(u.eps)
		}
		return p.dp.programmed != nil && got == n
	})
}

// waitFor polls cond (real I/O) until it holds, with a generous deadline.
func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("gave up waiting")
		}
		time.Sleep(20 * time.Millisecond)
	}
}
