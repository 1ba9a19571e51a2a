package controlplane

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"sigs.k8s.io/yaml"

	v1 "vigil.dev/vigil/api/v1"
	"vigil.dev/vigil/test/e2e/framework"
)

// startDaemon runs a control-plane-only daemon for one test.
func startDaemon(t *testing.T) *framework.Daemon {
	t.Helper()
	return framework.StartDaemon(t, framework.Options{Args: []string{"--node=false"}})
}

// seed reads one of the seed's manifests, verbatim.
func seed(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "seed", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// completed is a seed manifest with a boot source added (the tiny image by
// kernel boot), and the given name, namespace and run strategy; strategy ""
// leaves the seed's own choice.
func completed(t *testing.T, file, name, namespace, strategy string) []byte {
	t.Helper()
	var m map[string]any
	if err := yaml.Unmarshal(seed(t, file), &m); err != nil {
		t.Fatalf("%s: %v", file, err)
	}
	meta := m["metadata"].(map[string]any)
	meta["name"] = name
	if namespace != "" {
		meta["namespace"] = namespace
	}
	spec := m["spec"].(map[string]any)
	if strategy != "" {
		delete(spec, "running")
		spec["runStrategy"] = strategy
	}
	tmpl := spec["template"].(map[string]any)
	vmiSpec := tmpl["spec"].(map[string]any)
	domain, _ := vmiSpec["domain"].(map[string]any)
	if domain == nil {
		domain = map[string]any{}
		vmiSpec["domain"] = domain
	}
	domain["firmware"] = map[string]any{"kernelBoot": map[string]any{"container": map[string]any{"image": "tiny"}}}
	out, err := yaml.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// plainVM is a minimal valid VM with a run strategy.
func plainVM(name, strategy string) []byte {
	return []byte(fmt.Sprintf(`apiVersion: kubevirt.io/v1
kind: VirtualMachine
metadata:
  name: %s
spec:
  runStrategy: %s
  template:
    metadata:
      labels:
        app: %s
    spec:
      domain:
        firmware:
          kernelBoot:
            container:
              image: tiny
`, name, strategy, name))
}

func getVM(t *testing.T, d *framework.Daemon, ns, name string) *v1.VirtualMachine {
	t.Helper()
	return d.VM(ns, name)
}

func getVMI(t *testing.T, d *framework.Daemon, ns, name string) *v1.VirtualMachineInstance {
	t.Helper()
	return d.VMI(ns, name)
}

// setVMIPhase moves a VMI to a phase through the status subresource, the way
// a node reports it. ranFirst records a Running transition before the phase
// (a VMI that ran does not count towards the crash-loop backoff).
func setVMIPhase(t *testing.T, d *framework.Daemon, ns, name string, phase v1.VirtualMachineInstancePhase, ranFirst bool) {
	t.Helper()
	for attempt := 0; attempt < 10; attempt++ {
		vmi := getVMI(t, d, ns, name)
		if vmi == nil {
			t.Fatalf("vmi %s/%s is gone", ns, name)
		}
		now := time.Now()
		if ranFirst {
			vmi.Status.PhaseTransitionTimestamps = append(vmi.Status.PhaseTransitionTimestamps,
				v1.VirtualMachineInstancePhaseTransitionTimestamp{Phase: v1.Running, PhaseTransitionTimestamp: metaTime(now)})
		}
		vmi.Status.Phase = phase
		vmi.Status.PhaseTransitionTimestamps = append(vmi.Status.PhaseTransitionTimestamps,
			v1.VirtualMachineInstancePhaseTransitionTimestamp{Phase: phase, PhaseTransitionTimestamp: metaTime(now)})
		body, _ := json.Marshal(vmi)
		code, resp, err := d.Request("PUT", fmt.Sprintf("/apis/kubevirt.io/v1/namespaces/%s/virtualmachineinstances/%s/status", ns, name), "application/json", body)
		if err != nil {
			t.Fatal(err)
		}
		if code == 409 {
			continue // the controller wrote meanwhile; read again
		}
		if code != 200 {
			t.Fatalf("PUT vmi status: %d %s", code, resp)
		}
		return
	}
	t.Fatalf("could not set the phase of vmi %s/%s: too many conflicts", ns, name)
}

// vmiAppears waits for a VMI of the VM to exist with a UID other than `not`.
func vmiAppears(t *testing.T, d *framework.Daemon, ns, name, not string) *v1.VirtualMachineInstance {
	t.Helper()
	var got *v1.VirtualMachineInstance
	framework.Eventually(t, 60*time.Second, "a new VMI for "+ns+"/"+name, func() (bool, string) {
		got = getVMI(t, d, ns, name)
		if got == nil {
			return false, "no VMI"
		}
		return string(got.UID) != not, fmt.Sprintf("VMI uid %s phase %s", got.UID, got.Status.Phase)
	})
	return got
}

// noVMIFor checks that the VM has no VMI during d (bounded, a few seconds).
func noVMIFor(t *testing.T, d *framework.Daemon, ns, name string, dur time.Duration) {
	t.Helper()
	framework.Never(t, dur, "a VMI for "+ns+"/"+name, func() (bool, string) {
		vmi := getVMI(t, d, ns, name)
		if vmi == nil {
			return false, ""
		}
		return true, fmt.Sprintf("VMI uid %s phase %s", vmi.UID, vmi.Status.Phase)
	})
}

func lines(s string) []string { return strings.Split(strings.TrimSpace(s), "\n") }
