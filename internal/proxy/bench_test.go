package proxy

import (
	"fmt"
	"net/netip"
	"slices"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/watch"

	v1 "vigil.dev/vigil/api/v1"
	"vigil.dev/vigil/internal/network/nstest"
	"vigil.dev/vigil/internal/resource"
)

// BenchmarkPropagation measures how long a VMI readiness change takes to
// reach the kernel: from the informer handing the changed VMI over to the
// update being loaded, with N Services of E ready endpoints each, all in
// one namespace, in the test's private namespace. loader=netlink is the
// daemon's path (a netlink batch on a socket kept open); loader=nft feeds
// the same update to `nft -f -`, for comparison. Each op flips the
// readiness of one VMI; p50 and p99 are reported in ms.
func BenchmarkPropagation(b *testing.B) {
	loaders := []struct {
		name string
		new  func() Runner
	}{{"netlink", func() Runner { return &Netlink{} }}, {"nft", func() Runner { return NFT{} }}}
	for _, size := range []struct{ services, endpoints int }{{10, 2}, {100, 3}, {500, 2}} {
		for _, l := range loaders {
			b.Run(fmt.Sprintf("services=%d/endpoints=%d/loader=%s", size.services, size.endpoints, l.name), func(b *testing.B) {
				nstest.Require(b)
				benchPropagation(b, l.new(), size.services, size.endpoints)
			})
		}
	}
}

// benchVMI is the j-th backend of the i-th Service.
func benchVMI(i, j, perService int, ready bool) *v1.VirtualMachineInstance {
	k := i*perService + j
	vmi := testVMI(fmt.Sprintf("vm%d-%d", i, j), netip.AddrFrom4([4]byte{10, 89, byte(1 + k/250), byte(1 + k%250)}).String(), ready)
	vmi.Labels = map[string]string{"app": fmt.Sprintf("app%d", i)}
	return vmi
}

func benchPropagation(b *testing.B, runner Runner, services, perService int) {
	h := startProxy(b, runner)
	for i := range services {
		ip := netip.AddrFrom4([4]byte{10, 96, byte(i / 250), byte(1 + i%250)}).String()
		h.api.send(resource.Services, watch.Added, testService(fmt.Sprintf("svc%d", i), ip, map[string]string{"app": fmt.Sprintf("app%d", i)}))
		for j := range perService {
			h.api.send(resource.VirtualMachineInstances, watch.Added, benchVMI(i, j, perService, true))
		}
	}
	h.programmed(services * perService)
	ready := map[int]bool{}
	latencies := make([]time.Duration, 0, b.N)
	b.ResetTimer()
	for n := range b.N {
		i, j := (n*7)%services, (n/services)%perService
		k := i*perService + j
		was, seen := ready[k]
		ready[k] = seen && !was // first flip: ready -> not ready
		h.api.send(resource.VirtualMachineInstances, watch.Modified, benchVMI(i, j, perService, ready[k]))
		r := h.next()
		if r.Err != nil {
			b.Fatal(r.Err)
		}
		latencies = append(latencies, r.Latency)
	}
	b.StopTimer()
	slices.Sort(latencies)
	b.ReportMetric(ms(latencies[len(latencies)/2]), "p50-ms")
	b.ReportMetric(ms(latencies[len(latencies)*99/100]), "p99-ms")
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

// programmed waits until the dataplane holds n ready endpoints.
func (h *proxyHarness) programmed(n int) {
	h.t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for {
		h.proxy.dp.mu.Lock()
		got := 0
		for _, u := range h.proxy.dp.programmed {
			got += len(u.eps)
		}
		h.proxy.dp.mu.Unlock()
		if got == n {
			break
		}
		if time.Now().After(deadline) {
			h.t.Fatalf("the dataplane holds %d endpoints, want %d", got, n)
		}
		time.Sleep(10 * time.Millisecond)
	}
	for len(h.reports) > 0 { // what came before is not measured
		<-h.reports
	}
}

// BenchmarkConnections compares connections per second through the service
// address with connections straight to a backend: connect, read the
// backend's greeting, close, from the host (output hook) to backends in a
// VM namespace behind the bridge.
func BenchmarkConnections(b *testing.B) {
	nstest.Require(b)
	newTopology(b)
	mustSync(b, newTestDataplane(b), webState(backendA, backendB))
	for _, target := range []struct{ name, addr string }{
		{"direct", backendA + ":8080"},
		{"service", serviceIP + ":80"},
	} {
		b.Run(target.name, func(b *testing.B) {
			start := time.Now()
			for range b.N {
				c, _, err := dial(nil, target.addr)
				if err != nil {
					b.Fatal(err)
				}
				c.Close()
			}
			b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "conn/s")
		})
	}

}
