package cli

import (
	"regexp"
	"strings"
	"testing"
	"time"

	"vigil.dev/vigil/internal/resource"
)

func TestDescribeVM(t *testing.T) {
	f := newFakeAPI(t)
	f.put(resource.VirtualMachines, map[string]any{
		"metadata": map[string]any{"name": "fedora-vm", "labels": map[string]any{"app": "web", "kubevirt.io/vm": "fedora-vm"},
			"annotations": map[string]any{lastAppliedAnnotation: "{...}"}},
		"spec": map[string]any{"running": true, "template": map[string]any{
			"metadata": map[string]any{"labels": map[string]any{"app": "web"}},
			"spec": map[string]any{
				"readinessProbe": map[string]any{"httpGet": map[string]any{"port": 1500, "path": "/healthz",
					"httpHeaders": []any{map[string]any{"name": "Custom-Header", "value": "Awesome"}}},
					"initialDelaySeconds": 120, "periodSeconds": 20, "timeoutSeconds": 10, "failureThreshold": 3, "successThreshold": 3},
				"livenessProbe": map[string]any{"tcpSocket": map[string]any{"port": 1500}},
				"domain": map[string]any{"devices": map[string]any{"watchdog": map[string]any{"name": "wd", "i6300esb": map[string]any{"action": "poweroff"}}},
					"firmware": map[string]any{"kernelBoot": map[string]any{"container": map[string]any{"image": "tiny"}}}},
				"volumes": []any{map[string]any{"name": "cloudinitdisk", "cloudInitNoCloud": map[string]any{"userData": "#cloud-config"}}},
			}}},
		"status": map[string]any{"printableStatus": "Running", "ready": true, "created": true, "conditions": []any{
			map[string]any{"type": "Ready", "status": "True", "lastTransitionTime": fixedNow.Add(-time.Minute).Format(time.RFC3339)}}},
	})
	f.put(resource.Events, map[string]any{"metadata": map[string]any{"name": "fedora-vm.1"}, "type": "Normal", "reason": "SuccessfulCreate",
		"involvedObject": map[string]any{"kind": "VirtualMachine", "name": "fedora-vm", "namespace": "default"},
		"message":        "Started the virtual machine by creating the new virtual machine instance fedora-vm", "count": 2,
		"firstTimestamp": fixedNow.Add(-4 * time.Minute).Format(time.RFC3339), "lastTimestamp": fixedNow.Add(-time.Minute).Format(time.RFC3339),
		"source": map[string]any{"component": "vigil-controller"}})
	f.put(resource.Events, map[string]any{"metadata": map[string]any{"name": "other.1"}, "type": "Warning", "reason": "Unhealthy",
		"involvedObject": map[string]any{"kind": "VirtualMachineInstance", "name": "fedora-vm", "namespace": "default"}})

	res := run(t, f, "", "describe", "vm", "fedora-vm")
	if res.err != nil {
		t.Fatalf("%v: %s", res.err, res.stderr)
	}
	for _, want := range []string{
		`^Name:\s+fedora-vm$`,
		`^Namespace:\s+default$`,
		`^Labels:\s+app=web$`,
		`^\s+kubevirt.io/vm=fedora-vm$`,
		`^Annotations:\s+<none>$`,
		`^Created:\s+\w{3}, \d\d \w{3} \d{4} [\d:]+ \+0000 \(5m ago\)$`,
		`^Run Strategy:\s+Always$`,
		`^Status:\s+Running$`,
		`^  Readiness Probe:\s+http-get http://:1500/healthz delay=120s timeout=10s period=20s #success=3 #failure=3$`,
		`^    Headers:\s+Custom-Header: Awesome$`,
		// The liveness probe shows its timing after defaults.
		`^  Liveness Probe:\s+tcp-socket :1500 delay=0s timeout=1s period=10s #success=1 #failure=3$`,
		`^  Watchdog:\s+wd \(i6300esb, action=poweroff\)$`,
		`^  Boot Source:\s+kernelBoot image=tiny$`,
		`^    cloudinitdisk:\s+cloudInitNoCloud$`,
		`^  Ready\s+True\s+<none>\s+<none>\s+60s$`,
		`^  Normal\s+SuccessfulCreate\s+60s \(x2 over 4m\)\s+vigil-controller\s+Started the virtual machine`,
	} {
		if !regexp.MustCompile(`(?m)` + want).MatchString(res.stdout) {
			t.Errorf("describe lacks %s", want)
		}
	}
	if strings.Contains(res.stdout, "Unhealthy") {
		t.Error("an event of another kind was shown")
	}
	if t.Failed() || testing.Verbose() {
		t.Logf("output:\n%s", res.stdout)
	}
	gets := f.requests("GET")
	if q := gets[len(gets)-1]; q.Path != "/api/v1/namespaces/default/events" ||
		!strings.Contains(q.Query, "fieldSelector=involvedObject.name%3Dfedora-vm%2CinvolvedObject.namespace%3Ddefault%2CinvolvedObject.kind%3DVirtualMachine") {
		t.Errorf("events request %+v", q)
	}
}

func TestDescribeVMIAndErrors(t *testing.T) {
	f := newFakeAPI(t)
	f.put(resource.VirtualMachineInstances, map[string]any{"metadata": map[string]any{"name": "a"},
		"spec": map[string]any{"domain": map[string]any{"devices": map[string]any{}},
			"readinessProbe": map[string]any{"guestAgentPing": map[string]any{}},
			"volumes":        []any{map[string]any{"name": "disk0", "containerDisk": map[string]any{"image": "debian"}}}},
		"status": map[string]any{"phase": "Failed", "reason": "LivenessProbeFailed", "nodeName": "host1",
			"watchdog": map[string]any{"firings": 1, "lastAction": "reset", "lastFired": fixedNow.Add(-time.Hour).Format(time.RFC3339)}}})
	res := run(t, f, "", "describe", "vmi", "a")
	for _, want := range []string{
		`^Phase:\s+Failed$`, `^Reason:\s+LivenessProbeFailed$`, `^Node:\s+host1$`, `^IP:\s+<none>$`,
		`^Watchdog Firings:\s+1, last reset at .* \(60m ago\)$`,
		`^  Readiness Probe:\s+guest-agent-ping delay=0s timeout=1s period=10s #success=1 #failure=3$`,
		`^  Boot Source:\s+disk0: containerDisk image=debian$`,
		`^Conditions:\s+<none>$`, `^Events:\s+<none>$`,
	} {
		if !regexp.MustCompile(`(?m)` + want).MatchString(res.stdout) {
			t.Errorf("describe vmi lacks %s\n%s", want, res.stdout)
		}
	}
	res = run(t, f, "", "describe", "ev", "x")
	if res.err == nil || !strings.Contains(res.err.Error(), "describe shows virtualmachines") {
		t.Errorf("describe ev: %v", res.err)
	}
	res = run(t, f, "", "describe", "vm", "missing")
	if res.code() != 1 || !strings.Contains(res.stderr, `"missing" not found`) {
		t.Errorf("missing: exit %d, %q", res.code(), res.stderr)
	}
}
