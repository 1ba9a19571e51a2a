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

var (
	vms     = flag.Int("vms", 4, "VMs to run")
	warmup  = flag.Bool("warmup", true, "run and delete one VM before taking the baseline (see warmUp); the cold baseline is reported too")
	profile = flag.String("profile", "", "run the daemon with --debug-pprof and save its heap and goroutine profiles, idle and loaded, in this directory")
)

func BenchmarkVMLifecycle(b *testing.B) {
	for i := 0; i < b.N; i++ {
		run(b, *vms)
	}
}

func run(b *testing.B, n int) {
	args := []string{"--bridge", "vigilbn", "--subnet", "10.89.90.0/24"}
	if *profile != "" {
		args = append(args, "--debug-pprof")
	}
	d := framework.StartDaemon(b, framework.Options{InTestNetns: true, Tiny: true, Args: args})
	rec := d.RecordVMIs("default")
	time.Sleep(2 * time.Second)
	cold := rssKiB(b, d.PID())
	coldHeap := gauge(b, d, "go_memstats_heap_inuse_bytes")
	if *warmup {
		warmUp(b, d)
	}
	idle := rssKiB(b, d.PID())
	idleHeap := gauge(b, d, "go_memstats_heap_inuse_bytes")
	idleGoroutines := gauge(b, d, "go_goroutines")
	idleThreads := gauge(b, d, "go_threads")
	saveProfiles(b, d, "idle")

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
	loadedHeap := gauge(b, d, "go_memstats_heap_inuse_bytes")
	loadedGoroutines := gauge(b, d, "go_goroutines")
	loadedThreads := gauge(b, d, "go_threads")
	saveProfiles(b, d, "loaded")
	if *profile != "" {
		// What the running VMIs allocate when nothing happens: the
		// allocations between "loaded" and "steady".
		time.Sleep(30 * time.Second)
		saveProfiles(b, d, "steady")
	}

	report := func(name string, ds []time.Duration) {
		sort.Slice(ds, func(i, j int) bool { return ds[i] < ds[j] })
		b.ReportMetric(float64(ds[len(ds)/2].Milliseconds()), name+"-p50-ms")
		b.ReportMetric(float64(ds[len(ds)-1].Milliseconds()), name+"-max-ms")
	}
	report("create-to-qemu", toQEMU)
	report("create-to-agent", toAgent)
	report("create-to-http", toHTTP)
	b.ReportMetric(float64(cold)/1024, "rss-cold-MiB")
	b.ReportMetric(float64(loaded-cold)/float64(n), "rss-cold-KiB-per-vmi")
	b.ReportMetric((loadedHeap-coldHeap)/1024/float64(n), "heap-inuse-cold-KiB-per-vmi")
	b.ReportMetric(float64(idle)/1024, "rss-idle-MiB")
	b.ReportMetric(float64(loaded-idle)/float64(n), "rss-KiB-per-vmi")
	b.ReportMetric((loadedHeap-idleHeap)/1024/float64(n), "heap-inuse-KiB-per-vmi")
	b.ReportMetric((loadedGoroutines-idleGoroutines)/float64(n), "goroutines-per-vmi")
	b.ReportMetric((loadedThreads-idleThreads)/float64(n), "threads-per-vmi")
	b.ReportMetric(float64(processesPerVM(b, d.DataDir, n)), "host-procs-per-vm")
}

// warmUp runs one VM until its agent answers and deletes it again, so
// that the daemon's baseline ("idle") is that of a daemon that has run a
// VM: the first VM's start grows the Go heap to its collector's target
// (twice what was live), a one-time cost that a cold baseline ("cold")
// would charge to the VMs measured, all the more the fewer they are.
func warmUp(b *testing.B, d *framework.Daemon) {
	d.MustVigil(framework.VMSpec{Name: "warmup", Strategy: "Always"}.Manifest(), "create", "-f", "-")
	d.WaitVMI("default", "warmup", 5*time.Minute, "agent connected", func(vmi *v1.VirtualMachineInstance) bool {
		return framework.Condition(vmi, v1.VirtualMachineInstanceAgentConnected) == "True"
	})
	d.MustVigil(nil, "delete", "vm", "warmup", "--timeout", "2m")
	time.Sleep(3 * time.Second)
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

// gauge reads a metric without labels from the daemon's /metrics, e.g.
// go_memstats_heap_inuse_bytes (the Go heap in use, without the garbage
// RSS still holds) or go_goroutines.
func gauge(b *testing.B, d *framework.Daemon, name string) float64 {
	code, body, err := d.Get("/metrics")
	if err != nil || code != 200 {
		b.Fatalf("GET /metrics: %d %v", code, err)
	}
	for _, line := range strings.Split(body, "\n") {
		if strings.HasPrefix(line, name+" ") {
			v, _ := strconv.ParseFloat(strings.Fields(line)[1], 64)
			return v
		}
	}
	b.Fatalf("no %s in /metrics", name)
	return 0
}

// saveProfiles writes the daemon's heap profile (after a GC, so in-use is
// what the daemon holds; plus every allocation since start) and its
// goroutines to -profile's directory as STAGE-heap.pb.gz and
// STAGE-goroutine.txt. It is called after the stage's figures are read, but
// the GC it forces makes the next stage's figures less comparable with runs
// without -profile.
func saveProfiles(b *testing.B, d *framework.Daemon, stage string) {
	if *profile == "" {
		return
	}
	if err := os.MkdirAll(*profile, 0o755); err != nil {
		b.Fatal(err)
	}
	for file, path := range map[string]string{
		stage + "-heap.pb.gz":    "/debug/pprof/heap?gc=1",
		stage + "-goroutine.txt": "/debug/pprof/goroutine?debug=1",
		stage + "-metrics.txt":   "/metrics",
	} {
		code, body, err := d.Get(path)
		if err != nil || code != 200 {
			b.Fatalf("GET %s: %d %v", path, code, err)
		}
		if err := os.WriteFile(filepath.Join(*profile, file), []byte(body), 0o644); err != nil {
			b.Fatal(err)
		}
	}
	// Where the RSS is (anonymous, file-backed: etcd's mmapped database).
	rollup, err := os.ReadFile(fmt.Sprintf("/proc/%d/smaps_rollup", d.PID()))
	if err != nil {
		b.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(*profile, stage+"-smaps_rollup.txt"), rollup, 0o644); err != nil {
		b.Fatal(err)
	}
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
