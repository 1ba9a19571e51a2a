package image

import (
	"context"
	"errors"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// Generous deadlines around real I/O: the guest runs under software
// emulation on a loaded 2-core machine.
const (
	bootDeadline     = 90 * time.Second
	agentDeadline    = 20 * time.Second
	powerOffDeadline = 30 * time.Second
	watchdogDeadline = 60 * time.Second
	// aliveWindow outlasts watchdog-timeout (10 s in the image's
	// watchdog.conf): a VM still running after it is being fed.
	aliveWindow = 15 * time.Second
)

const httpUserData = `#cloud-config
packages: [nginx]
write_files:
  - path: /srv/www/healthz
    permissions: '0644'
    content: |
      ok
runcmd:
  - echo written > /file-written
  - [busybox, httpd, -p, "1500", -h, /srv/www]
`

// TestBootTinyGuest builds the image and boots it twice in parallel: one VM
// proves cloud-init, the agent, lspci and ACPI power-off; the other proves
// that the watchdog daemon keeps the i6300esb quiet and that killing it
// makes the device power the VM off.
func TestBootTinyGuest(t *testing.T) {
	if testing.Short() {
		t.Skip("boots QEMU; skipped with -short")
	}
	for _, tool := range []string{"qemu-system-x86_64", "xorriso"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("%s not installed", tool)
		}
	}
	if _, err := pickKernel(modulesRoot, bootDir); err != nil {
		t.Skipf("no host kernel: %v", err)
	}
	start := time.Now()
	img, err := BuildTiny(context.Background(), Options{OutDir: t.TempDir()})
	if errors.Is(err, ErrMissing) {
		t.Skipf("host lacks a package the image needs: %v", err)
	}
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("image: kernel %s, initrd %.1f MiB gzip'd, %d files, built in %s",
		img.KernelVersion, float64(img.InitrdSize)/(1<<20), img.Files, time.Since(start).Round(time.Millisecond))
	checkManifest(t, img)
	t.Run("agent-http-acpi", func(t *testing.T) { t.Parallel(); testAgentAndACPI(t, img) })
	t.Run("watchdog", func(t *testing.T) { t.Parallel(); testWatchdog(t, img) })
}

func checkManifest(t *testing.T, img *Result) {
	m, err := ReadManifest(strings.TrimSuffix(img.Manifest, "/"+ManifestFile))
	if err != nil {
		t.Fatal(err)
	}
	if m.KernelVersion != img.KernelVersion || m.Initrd.Size != img.InitrdSize || len(m.Initrd.SHA256) != 64 {
		t.Errorf("manifest disagrees with the result: %+v", m.Initrd)
	}
	paths := map[string]bool{}
	for _, f := range m.Files {
		paths[f.Path] = true
	}
	for _, p := range []string{"/init", "/bin/busybox", "/bin/sh", "/usr/sbin/qemu-ga", "/usr/sbin/watchdog",
		"/usr/bin/lspci", "/usr/bin/pkill", "/usr/share/misc/pci.ids", "/etc/watchdog.conf", "/lib64/ld-linux-x86-64.so.2"} {
		if !paths[p] {
			t.Errorf("image lacks %s", p)
		}
	}
	if paths["/sbin/watchdog"] || paths["/bin/watchdog"] {
		t.Error("busybox's watchdog applet shadows the real daemon")
	}
	pkgs := map[string]bool{}
	for _, p := range m.Packages {
		pkgs[p.Name] = true
	}
	for _, want := range []string{"busybox-static", "qemu-guest-agent", "watchdog", "pciutils"} {
		if !pkgs[want] {
			t.Errorf("manifest packages lack %s: %+v", want, m.Packages)
		}
	}
}

func testAgentAndACPI(t *testing.T, img *Result) {
	seed := makeSeed(t, map[string]string{
		"meta-data": "instance-id: iid-boot-test\nlocal-hostname: probe-vm\n",
		"user-data": httpUserData,
	})
	start := time.Now()
	vm := bootVM(t, img, seed)
	q := dialQMP(t, vm.dial("qmp"))
	vm.waitConsole("vigil-init: ready", bootDeadline)
	t.Logf("ready %s after QEMU start", time.Since(start).Round(100*time.Millisecond))
	for _, line := range []string{"cloud-init: unsupported key packages ignored", "hostname set hostname=probe-vm", "qemu-ga started"} {
		if !strings.Contains(vm.consoleText(), line) {
			t.Errorf("console lacks %q", line)
		}
	}
	g := mustDialQGA(t, vm)
	if _, err := g.call("guest-ping", nil, 5*time.Second); err != nil {
		t.Fatal(err)
	}
	expectExec(t, g, []string{"cat", "/file-written"}, "written\n")
	expectExec(t, g, []string{"hostname"}, "probe-vm\n")
	expectExec(t, g, []string{"test", "-c", "/dev/watchdog"}, "")
	if _, out, err := g.exec([]string{"lspci", "-nn"}, agentDeadline); err != nil || !strings.Contains(out, "8086:25ab") {
		t.Errorf("lspci -nn shows no i6300esb (8086:25ab): %v\n%s", err, out)
	}
	waitHTTP(t, g)

	// Stopping the agent in the guest must stick: init does not restart it.
	if _, err := g.call("guest-exec", map[string]any{"path": "killall", "arg": []string{"qemu-ga"}}, agentDeadline); err != nil {
		t.Fatal(err)
	}
	g.close()
	waitAgentGone(t, vm)
	if g2, err := dialQGA(vm.dial("qga"), 3*time.Second); err == nil {
		g2.close()
		t.Fatal("guest agent came back after killall qemu-ga")
	}
	// Started again by hand on the serial console, it answers.
	vm.typeOnConsole("/usr/sbin/qemu-ga -d")
	g = mustDialQGA(t, vm)
	g.close()

	q.execute(t, "system_powerdown")
	if err := vm.waitExit(powerOffDeadline); err != nil {
		t.Fatalf("qemu after ACPI power-off: %v", err)
	}
	if !strings.Contains(vm.consoleText(), "power button pressed") {
		t.Error("console lacks the power button line")
	}
}

func testWatchdog(t *testing.T, img *Result) {
	// A "#!" script whose interpreter the image lacks runs with sh.
	seed := makeSeed(t, map[string]string{
		"meta-data": "instance-id: iid-watchdog\n",
		"user-data": "#!/bin/bash\necho script-ran > /script-ran\n",
	})
	vm := bootVM(t, img, seed)
	q := dialQMP(t, vm.dial("qmp"))
	vm.waitConsole("vigil-init: ready", bootDeadline)
	g := mustDialQGA(t, vm)
	defer g.close()
	expectExec(t, g, []string{"cat", "/script-ran"}, "script-ran\n")
	if code, _, err := g.exec([]string{"pidof", "watchdog"}, agentDeadline); err != nil || code != 0 {
		t.Fatalf("watchdog daemon not running: code %d, %v", code, err)
	}
	select {
	case <-vm.exited:
		t.Fatalf("VM ended while the watchdog daemon fed the device: %v", vm.waitErr)
	case ev := <-q.events:
		if ev["event"] == "WATCHDOG" {
			t.Fatalf("watchdog fired while fed: %v", ev)
		}
	case <-time.After(aliveWindow):
	}
	killed := time.Now()
	if _, _, err := g.exec([]string{"pkill", "-9", "watchdog"}, agentDeadline); err != nil {
		t.Fatal(err)
	}
	ev := q.waitEvent(t, "WATCHDOG", watchdogDeadline)
	if data, _ := ev["data"].(map[string]any); data["action"] != "poweroff" {
		t.Errorf("WATCHDOG event %v, want action poweroff", ev)
	}
	t.Logf("i6300esb fired %s after pkill -9 watchdog", time.Since(killed).Round(100*time.Millisecond))
	if err := vm.waitExit(powerOffDeadline); err != nil {
		t.Fatalf("qemu after watchdog poweroff: %v", err)
	}
}

// mustDialQGA connects to the agent, retrying while it starts.
func mustDialQGA(t *testing.T, vm *testVM) *qga {
	t.Helper()
	deadline := time.Now().Add(agentDeadline)
	for {
		g, err := dialQGA(vm.dial("qga"), 3*time.Second)
		if err == nil {
			return g
		}
		if time.Now().After(deadline) {
			t.Fatalf("guest agent: %v", err)
		}
		time.Sleep(100 * time.Millisecond) // the agent is starting; retry the connection
	}
}

// waitAgentGone waits until the agent no longer answers.
func waitAgentGone(t *testing.T, vm *testVM) {
	t.Helper()
	deadline := time.Now().Add(agentDeadline)
	for {
		g, err := dialQGA(vm.dial("qga"), 3*time.Second)
		if err != nil {
			return
		}
		g.close()
		if time.Now().After(deadline) {
			t.Fatal("guest agent still answers after killall qemu-ga")
		}
	}
}

func expectExec(t *testing.T, g *qga, argv []string, want string) {
	t.Helper()
	code, out, err := g.exec(argv, agentDeadline)
	if err != nil || code != 0 || out != want {
		t.Errorf("guest %q: code %d, out %q, err %v; want code 0, out %q", argv, code, out, err, want)
	}
}

// waitHTTP fetches the user-data's web server from inside the guest (the
// host has no network path to the VM); runcmd runs in the background, so
// the server may need a moment.
func waitHTTP(t *testing.T, g *qga) {
	t.Helper()
	deadline := time.Now().Add(agentDeadline)
	for {
		code, out, err := g.exec([]string{"wget", "-q", "-O", "-", "http://127.0.0.1:1500/healthz"}, agentDeadline)
		if err == nil && code == 0 && out == "ok\n" {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("httpd on port 1500: code %d, out %q, err %v", code, out, err)
		}
	}
}
