package vm

import (
	"flag"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	v1 "vigil.dev/vigil/api/v1"
	"vigil.dev/vigil/test/e2e/framework"
)

var vms = flag.Int("vms", 4, "VMs to run")

func BenchmarkVMLifecycle(b *testing.B) {
	for i := 0; i < b.N; i++ {
		run(b, *vms)
	}
}

func run(b *testing.B, n int) {
	d := framework.StartDaemon(b, framework.Options{InTestNetns: true, Tiny: true,
		Args: []string{"--bridge", "vigilbn", "--subnet", "10.89.90.0/24"}})
	rec := d.RecordVMIs("default")
	time.Sleep(2 * time.Second)
	idle := rssKiB(b, d.PID())
	idleHeap := heapInuse(b, d)

	var toQEMU, toAgent, toHTTP []time.Duration
	var mu sync.Mutex
	var wg sync.WaitGroup
	for i := 0; i < n; i++ {
		name := fmt.Sprintf("bench-%d", i)
		wg.Add(1)
		go func() {
			defer wg.Done()
			created := time.Now()
			d.MustVigil(framework.VMSpec{Name: name, Strategy: "Always", UserData: framework.WebServer(200)}.Manifest(), "create", "-f", "-")
			vmi := d.WaitVMI("default", name, 5*time.Minute, "agent connected", func(vmi *v1.VirtualMachineInstance) bool {
				return framework.Condition(vmi, v1.VirtualMachineInstanceAgentConnected) == "True"
			})
			pid := framework.QEMUPid(string(vmi.UID))
			qemuStart := processStart(b, pid)
			agent := rec.FirstSeen(string(vmi.UID), func(v *v1.VirtualMachineInstance) bool {
				return framework.Condition(v, v1.VirtualMachineInstanceAgentConnected) == "True"
			})
			var served time.Time
			framework.Eventually(b, 5*time.Minute, name+" HTTP", func() (bool, string) {
				resp, err := http.Get("http://" + framework.IP(vmi) + ":1500/other")
				if err != nil {
					return false, err.Error()
				}
				resp.Body.Close()
				served = time.Now()
				return true, ""
			})
			mu.Lock()
			toQEMU = append(toQEMU, qemuStart.Sub(created))
			toAgent = append(toAgent, agent.Sub(created))
			toHTTP = append(toHTTP, served.Sub(created))
			mu.Unlock()
		}()
	}
	wg.Wait()
	time.Sleep(3 * time.Second)
	loaded := rssKiB(b, d.PID())
	loadedHeap := heapInuse(b, d)

	report := func(name string, ds []time.Duration) {
		sort.Slice(ds, func(i, j int) bool { return ds[i] < ds[j] })
		b.ReportMetric(float64(ds[len(ds)/2].Milliseconds()), name+"-p50-ms")
		b.ReportMetric(float64(ds[len(ds)-1].Milliseconds()), name+"-max-ms")
	}
	report("create-to-qemu", toQEMU)
	report("create-to-agent", toAgent)
	report("create-to-http", toHTTP)
	b.ReportMetric(float64(idle)/1024, "rss-idle-MiB")
	b.ReportMetric(float64(loaded-idle)/float64(n), "rss-KiB-per-vmi")
	b.ReportMetric((loadedHeap-idleHeap)/1024/float64(n), "heap-inuse-KiB-per-vmi")
	b.ReportMetric(float64(processesPerVM(b, d.DataDir, n)), "host-procs-per-vm")
}

// processStart is when a process started, from /proc/PID/stat's starttime.
func processStart(b *testing.B, pid int) time.Time {
	stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		b.Fatal(err)
	}
	f := strings.Fields(string(stat[strings.LastIndexByte(string(stat), ')')+2:]))
	ticks, _ := strconv.ParseInt(f[19], 10, 64) // field 22 overall
	up, err := os.ReadFile("/proc/uptime")
	if err != nil {
		b.Fatal(err)
	}
	uptime, _ := strconv.ParseFloat(strings.Fields(string(up))[0], 64)
	const hz = 100 // USER_HZ on Linux
	boot := time.Now().Add(-time.Duration(uptime * float64(time.Second)))
	return boot.Add(time.Duration(ticks) * time.Second / hz)
}

// processesPerVM counts the host processes working for the VMs (anything
// whose command line names the data dir, except the daemon), per VM.
func processesPerVM(b *testing.B, dataDir string, n int) int {
	procs, _ := filepath.Glob("/proc/[0-9]*/cmdline")
	count := 0
	for _, p := range procs {
		cmd, err := os.ReadFile(p)
		if err != nil || !strings.Contains(string(cmd), dataDir) || strings.Contains(string(cmd), "serve\x00") {
			continue
		}
		count++
	}
	return count / n
}

// heapInuse reads go_memstats_heap_inuse_bytes from the daemon's /metrics:
// the Go heap in use, without the garbage RSS still holds.
func heapInuse(b *testing.B, d *framework.Daemon) float64 {
	code, body, err := d.Get("/metrics")
	if err != nil || code != 200 {
		b.Fatalf("GET /metrics: %d %v", code, err)
	}
	for _, line := range strings.Split(body, "\n") {
		if strings.HasPrefix(line, "go_memstats_heap_inuse_bytes ") {
			v, _ := strconv.ParseFloat(strings.Fields(line)[1], 64)
			return v
		}
	}
	b.Fatal("no go_memstats_heap_inuse_bytes in /metrics")
	return 0
}

func rssKiB(b *testing.B, pid int) int {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		b.Fatal(err)
	}
	for _, line := range strings.Split(string(data), "\n") {
		if strings.HasPrefix(line, "VmRSS:") {
			v, _ := strconv.Atoi(strings.Fields(line)[1])
			return v
		}
	}
	return 0
}
