package controlplane

import (
	"bytes"
	"flag"
	"fmt"
	"net/http"
	"os"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"vigil.dev/vigil/test/e2e/framework"
)

var vms = flag.Int("vms", 1000, "VirtualMachines to create")

func BenchmarkControlPlane(b *testing.B) {
	for i := 0; i < b.N; i++ {
		run(b, *vms)
	}
}

func run(b *testing.B, n int) {
	start := time.Now()
	d := framework.StartDaemon(b, framework.Options{Args: []string{"--node=false"}})
	ready := time.Since(start)
	time.Sleep(2 * time.Second) // let start-up garbage settle before reading RSS
	idle := rssKiB(b, d.PID())
	hc := d.HTTPClient()
	base := "http://vigil/apis/kubevirt.io/v1/namespaces/bench/virtualmachines"

	create := func(name string) time.Duration {
		t0 := time.Now()
		resp, err := hc.Post(base, "application/json", bytes.NewReader(vmJSON(name)))
		if err != nil {
			b.Fatal(err)
		}
		drain(b, resp, http.StatusCreated)
		return time.Since(t0)
	}
	var createLat []time.Duration
	for i := 0; i < n; i++ {
		createLat = append(createLat, create(fmt.Sprintf("seq-%05d", i)))
	}

	// Throughput: n more creates from 8 concurrent clients.
	t0 := time.Now()
	var wg sync.WaitGroup
	next := make(chan int)
	for w := 0; w < 8; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				create(fmt.Sprintf("par-%05d", i))
			}
		}()
	}
	for i := 0; i < n; i++ {
		next <- i
	}
	close(next)
	wg.Wait()
	createRate := float64(n) / time.Since(t0).Seconds()

	var getLat []time.Duration
	for i := 0; i < n; i++ {
		t0 := time.Now()
		resp, err := hc.Get(fmt.Sprintf("%s/seq-%05d", base, i))
		if err != nil {
			b.Fatal(err)
		}
		drain(b, resp, http.StatusOK)
		getLat = append(getLat, time.Since(t0))
	}
	var listLat []time.Duration
	for i := 0; i < 20; i++ {
		t0 := time.Now()
		resp, err := hc.Get(base)
		if err != nil {
			b.Fatal(err)
		}
		drain(b, resp, http.StatusOK)
		listLat = append(listLat, time.Since(t0))
	}
	time.Sleep(2 * time.Second)
	loaded := rssKiB(b, d.PID())

	report := func(name string, lat []time.Duration) {
		sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
		b.ReportMetric(ms(pct(lat, 50)), name+"-p50-ms")
		b.ReportMetric(ms(pct(lat, 99)), name+"-p99-ms")
	}
	report("create", createLat)
	report("get", getLat)
	report(fmt.Sprintf("list%d", 2*n), listLat)
	b.ReportMetric(createRate, "creates/s")
	b.ReportMetric(float64(idle)/1024, "rss-idle-MiB")
	b.ReportMetric(float64(loaded)/1024, fmt.Sprintf("rss-%dvms-MiB", 2*n))
	b.ReportMetric(ms(ready), "ready-ms")
}

func vmJSON(name string) []byte {
	return []byte(`{"apiVersion":"kubevirt.io/v1","kind":"VirtualMachine","metadata":{"name":"` + name + `","labels":{"app":"bench"}},` +
		`"spec":{"runStrategy":"Halted","template":{"spec":{"domain":{"firmware":{"kernelBoot":{"container":{"image":"tiny"}}},"devices":{}},` +
		`"readinessProbe":{"httpGet":{"port":1500,"path":"/healthz","httpHeaders":[{"name":"Custom-Header","value":"Awesome"}]},` +
		`"initialDelaySeconds":120,"periodSeconds":20,"timeoutSeconds":10,"failureThreshold":3,"successThreshold":3}}}}}`)
}

func drain(b *testing.B, resp *http.Response, want int) {
	defer resp.Body.Close()
	var buf bytes.Buffer
	_, _ = buf.ReadFrom(resp.Body)
	if resp.StatusCode != want {
		b.Fatalf("%s %s: %d %s", resp.Request.Method, resp.Request.URL, resp.StatusCode, buf.String())
	}
}

func pct(sorted []time.Duration, p int) time.Duration {
	i := (len(sorted)*p + 99) / 100
	if i > 0 {
		i--
	}
	return sorted[i]
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

// rssKiB reads VmRSS of a process.
func rssKiB(b *testing.B, pid int) int {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		b.Fatal(err)
	}
	for _, line := range strings.Split(string(data), "\n") {
		if strings.HasPrefix(line, "VmRSS:") {
			f := strings.Fields(line)
			v, _ := strconv.Atoi(f[1])
			return v
		}
	}
	b.Fatalf("no VmRSS for pid %d", pid)
	return 0
}
