package proxy

import (
	"context"
	"io"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/watch"

	"vigil.dev/vigil/internal/apiserver"
	"vigil.dev/vigil/internal/resource"
)

// recordingRunner keeps the scripts it is given and lists no chains.
type recordingRunner struct {
	mu      sync.Mutex
	scripts []string
}

func (r *recordingRunner) Run(_ context.Context, script string) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.scripts = append(r.scripts, script)
	return nil
}

func (r *recordingRunner) Apply(ctx context.Context, b Batch) error { return r.Run(ctx, b.Script()) }

func (r *recordingRunner) Chains(context.Context) (map[string]string, error) {
	return map[string]string{}, nil
}

func (r *recordingRunner) last() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.scripts[len(r.scripts)-1]
}

// proxyHarness runs a Proxy against a fakeAPI and hands out its sync
// reports in order.
type proxyHarness struct {
	t       testing.TB
	proxy   *Proxy
	api     *fakeAPI
	runner  Runner
	reports chan SyncReport
}

func startProxy(t testing.TB, runner Runner) *proxyHarness {
	t.Helper()
	h := &proxyHarness{t: t, api: newFakeAPI(), runner: runner, reports: make(chan SyncReport, 1<<16)}
	p := New(h.api, Options{Config: testConfig, Runner: runner,
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
		OnSync: func(r SyncReport) { h.reports <- r }})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	h.proxy = p
	go func() { done <- p.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Error(err)
		}
	})
	if r := h.next(); !r.Full || r.Err != nil {
		t.Fatalf("the first sync was %+v, want a full replace", r)
	}
	return h
}

// next waits for the next sync that changed something.
func (h *proxyHarness) next() SyncReport {
	h.t.Helper()
	deadline := time.After(10 * time.Second)
	for {
		select {
		case r := <-h.reports:
			if r.Err != nil || r.Commands > 0 {
				return r
			}
		case <-deadline:
			h.t.Fatal("no sync came")
		}
	}
}

// expect waits for the next sync and checks its script holds every want.
func (h *proxyHarness) expect(rr *recordingRunner, wants ...string) {
	h.t.Helper()
	r := h.next()
	if r.Err != nil {
		h.t.Fatal(r.Err)
	}
	script := rr.last()
	for _, w := range wants {
		if !strings.Contains(script, w) {
			h.t.Fatalf("the script lacks %q:\n%s", w, script)
		}
	}
}

func TestProxyFollowsServicesAndReadinessStraightFromVMIs(t *testing.T) {
	rr := &recordingRunner{}
	h := startProxy(t, rr)
	web := testService("web", serviceIP, map[string]string{"app": "web"})
	h.api.send(resource.Services, watch.Added, web)
	h.expect(rr, "add element ip vigil-services service-filter { 10.96.0.10 . tcp . 80 : goto reject-service }")

	h.api.send(resource.VirtualMachineInstances, watch.Added, testVMI("a", backendA, true))
	h.expect(rr, "dnat to 10.89.0.5:8080",
		"add element ip vigil-services service-filter { 10.96.0.10 . tcp . 80 : accept }")

	// Readiness lost: no Endpoints write is needed for the rules to follow.
	h.api.send(resource.VirtualMachineInstances, watch.Modified, testVMI("a", backendA, false))
	h.expect(rr, "delete chain ip vigil-services ep-shop/web/tcp/http__10.89.0.5/8080",
		"add element ip vigil-services service-filter { 10.96.0.10 . tcp . 80 : goto reject-service }")

	// A Service without a selector takes the Endpoints object as it is.
	h.api.send(resource.Services, watch.Added, testService("ext", "10.96.0.11", nil))
	h.expect(rr, "10.96.0.11 . tcp . 80 : goto reject-service")
	h.api.send(resource.Endpoints, watch.Added, &corev1.Endpoints{
		ObjectMeta: metav1.ObjectMeta{Namespace: "shop", Name: "ext"},
		Subsets: []corev1.EndpointSubset{{Addresses: []corev1.EndpointAddress{{IP: "10.89.0.7"}},
			Ports: []corev1.EndpointPort{{Name: "http", Port: 9000}}}}})
	h.expect(rr, "dnat to 10.89.0.7:9000")

	h.api.send(resource.Services, watch.Deleted, web)
	h.expect(rr, "delete element ip vigil-services service-ips { 10.96.0.10 . tcp . 80 }",
		"delete chain ip vigil-services svc-shop/web/tcp/http")
}

func TestProxyIgnoresChangesThatDoNotMatter(t *testing.T) {
	rr := &recordingRunner{}
	h := startProxy(t, rr)
	h.api.send(resource.Services, watch.Added, testService("web", serviceIP, map[string]string{"app": "web"}))
	h.expect(rr, "svc-shop/web/tcp/http")
	n := len(rr.scripts)
	// A VMI the Service does not select, and a headless Service.
	other := testVMI("b", backendB, true)
	other.Labels = map[string]string{"app": "db"}
	h.api.send(resource.VirtualMachineInstances, watch.Added, other)
	h.api.send(resource.Services, watch.Added, testService("headless", "None", map[string]string{"app": "web"}))
	// A change that does matter, to know the others have been handled.
	h.api.send(resource.VirtualMachineInstances, watch.Added, testVMI("a", backendA, true))
	h.expect(rr, "dnat to 10.89.0.5:8080")
	rr.mu.Lock()
	defer rr.mu.Unlock()
	if got := len(rr.scripts) - n; got != 1 {
		t.Fatalf("%d scripts ran, want 1 (only the relevant change):\n%s", got, strings.Join(rr.scripts[n:], "\n---\n"))
	}
	if strings.Contains(rr.scripts[n], "headless") || strings.Contains(rr.scripts[n], backendB) {
		t.Fatalf("the script programs what it should not:\n%s", rr.scripts[n])
	}
}

func TestDefaultServiceSubnetMatchesTheAPIServer(t *testing.T) {
	if DefaultServiceSubnet != apiserver.DefaultServiceSubnet {
		t.Fatalf("proxy default %s, API server default %s", DefaultServiceSubnet, apiserver.DefaultServiceSubnet)
	}
}
