package controlplane

import (
	"strings"
	"testing"
	"time"
)

// The seed's probe manifests, completed with a boot source, are accepted as
// they are and show up in `vigil get vm`.
func TestSeedManifestsWithBootSourceAreAccepted(t *testing.T) {
	d := startDaemon(t)
	files := map[string]string{
		"readiness-http.yaml":             "readiness-http",
		"readiness-tcp.yaml":              "readiness-tcp",
		"readiness-guest-agent-ping.yaml": "readiness-agent",
		"liveness-http.yaml":              "liveness-http",
	}
	for file, name := range files {
		out := d.MustVigil(completed(t, file, name, "", ""), "create", "-f", "-")
		if want := "virtualmachine.kubevirt.io/" + name + " created"; !strings.Contains(out, want) {
			t.Errorf("create %s: got %q, want %q", file, out, want)
		}
	}
	out := d.MustVigil(nil, "get", "vm", "-n", "example-namespace")
	if got := lines(out)[0]; !strings.HasPrefix(got, "NAME") || !strings.Contains(got, "STATUS") || !strings.Contains(got, "READY") {
		t.Errorf("table header: %q", got)
	}
	for _, name := range files {
		if !strings.Contains(out, name) {
			t.Errorf("get vm does not list %s:\n%s", name, out)
		}
		// The seed sets neither running nor runStrategy: Halted, no VMI.
		vm := getVM(t, d, "example-namespace", name)
		if vm == nil {
			t.Fatalf("vm %s not stored", name)
		}
		if vm.Spec.Template.Spec.ReadinessProbe == nil && vm.Spec.Template.Spec.LivenessProbe == nil {
			t.Errorf("vm %s lost its probe", name)
		}
	}
	// Defaults were applied: the seed's readiness-tcp leaves failure/success thresholds unset.
	vm := getVM(t, d, "example-namespace", "readiness-tcp")
	p := vm.Spec.Template.Spec.ReadinessProbe
	if p.FailureThreshold != 3 || p.SuccessThreshold != 1 || p.TimeoutSeconds != 10 || p.PeriodSeconds != 20 {
		t.Errorf("readiness-tcp probe after defaults: %+v", p)
	}
	noVMIFor(t, d, "example-namespace", "readiness-tcp", 2*time.Second)
}

// The seed's manifests as they are lack a boot source: a clear error naming
// the field and saying what to add; nothing is created.
func TestSeedManifestsAsTheyAreNameWhatIsMissing(t *testing.T) {
	d := startDaemon(t)
	for _, file := range []string{"readiness-http.yaml", "readiness-tcp.yaml", "readiness-guest-agent-ping.yaml", "liveness-http.yaml"} {
		r := d.Vigil(seed(t, file), "create", "-f", "-")
		if r.Code == 0 {
			t.Fatalf("%s was accepted without a boot source", file)
		}
		if !strings.Contains(r.Stderr, "spec.template.spec.volumes") || !strings.Contains(r.Stderr, "boot source") {
			t.Errorf("%s: error does not name the boot source field:\n%s", file, r.Stderr)
		}
	}
	if vm := getVM(t, d, "example-namespace", "fedora-vm"); vm != nil {
		t.Errorf("fedora-vm was created after all: %+v", vm.ObjectMeta)
	}
}

// The seed's watchdog manifest keeps its placeholders: `<vm-name>` is not a
// valid name, and the error says so on metadata.name.
func TestSeedWatchdogPlaceholders(t *testing.T) {
	d := startDaemon(t)
	r := d.Vigil(seed(t, "watchdog.yaml"), "create", "-f", "-")
	if r.Code == 0 {
		t.Fatal("the watchdog seed with placeholders was accepted")
	}
	if !strings.Contains(r.Stderr, "metadata.name") || !strings.Contains(r.Stderr, "<vm-name>") {
		t.Errorf("error does not point at metadata.name:\n%s", r.Stderr)
	}
	out := d.Vigil(nil, "get", "vm", "-A")
	if strings.Contains(out.Stdout, "vm-name") {
		t.Errorf("something was created:\n%s", out.Stdout)
	}
}

// The seed's watchdog manifest with its placeholders filled in and a boot
// source added is accepted, with KubeVirt's deprecation warning for
// `running`, and stays stopped (running: false).
func TestSeedWatchdogCompleted(t *testing.T) {
	d := startDaemon(t)
	m := strings.NewReplacer("<vm-name>", "watchdog-vm", "<watchdog>", "mywatchdog").Replace(string(seed(t, "watchdog.yaml")))
	m += "        firmware:\n          kernelBoot:\n            container:\n              image: tiny\n"
	r := d.Vigil([]byte(m), "create", "-f", "-")
	if r.Code != 0 {
		t.Fatalf("exit %d: %s", r.Code, r.Stderr)
	}
	if !strings.Contains(r.Stderr, "Warning: spec.running is deprecated, please use spec.runStrategy instead.") {
		t.Errorf("no deprecation warning: %q", r.Stderr)
	}
	vm := getVM(t, d, "default", "watchdog-vm")
	wd := vm.Spec.Template.Spec.Domain.Devices.Watchdog
	if wd == nil || wd.Name != "mywatchdog" || wd.I6300ESB == nil || wd.I6300ESB.Action != "poweroff" {
		t.Errorf("watchdog stored as %+v", wd)
	}
	noVMIFor(t, d, "default", "watchdog-vm", 2*time.Second)
}
