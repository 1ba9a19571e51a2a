package controlplane

import (
	"bytes"
	"encoding/json"
	"strings"
	"sync"
	"testing"

	v1 "vigil.dev/vigil/api/v1"
)

// Every bad input gets a clear error and changes nothing.
func TestBadInputIsRefusedAndChangesNothing(t *testing.T) {
	d := startDaemon(t)
	cases := []struct {
		name     string
		manifest string
		want     []string // each must appear in stderr
	}{
		{"malformed YAML", "apiVersion: kubevirt.io/v1\nkind: VirtualMachine\nmetadata:\n  name: [unclosed\n", []string{"malformed", "line 4"}},
		{"JSON with a trailing comma", `{"apiVersion":"kubevirt.io/v1","kind":"VirtualMachine","metadata":{"name":"x",}}`, []string{"malformed", "line 1"}},
		{"wrong kind", "apiVersion: kubevirt.io/v1\nkind: VirtualMachin\nmetadata:\n  name: x\n", []string{"VirtualMachin", "VirtualMachine"}},
		{"wrong apiVersion", "apiVersion: kubevirt.io/v2\nkind: VirtualMachine\nmetadata:\n  name: x\n", []string{"kubevirt.io/v2", "kubevirt.io/v1"}},
		{"unknown field deep in a probe", strings.Replace(string(plainVM("x", "Always")), "      domain:\n",
			"      readinessProbe:\n        httpGett:\n          port: 80\n      domain:\n", 1),
			[]string{"spec.template.spec.readinessProbe.httpGett: unknown field"}},
		{"unknown fields at several depths", strings.Replace(strings.Replace(string(plainVM("x", "Always")),
			"  name: x\n", "  name: x\n  colour: blue\n", 1), "  runStrategy: Always\n", "  runStrategy: Always\n  RunStrategy: Always\n", 1),
			[]string{"metadata.colour: unknown field", "spec.RunStrategy: unknown field"}},
		{"period not greater than timeout", strings.Replace(string(plainVM("x", "Always")), "      domain:\n",
			"      readinessProbe:\n        tcpSocket:\n          port: 1500\n        timeoutSeconds: 10\n      domain:\n", 1),
			[]string{"spec.template.spec.readinessProbe.periodSeconds: Invalid value: 10: must be greater than timeoutSeconds (10)"}},
		{"running and runStrategy together", strings.Replace(string(plainVM("x", "Always")), "  runStrategy: Always\n", "  runStrategy: Always\n  running: true\n", 1),
			[]string{"Running and RunStrategy are mutually exclusive"}},
		{"unknown run strategy", string(plainVM("x", "Sometimes")), []string{"Invalid RunStrategy (Sometimes)"}},
		{"two probe handlers", strings.Replace(string(plainVM("x", "Always")), "      domain:\n",
			"      livenessProbe:\n        tcpSocket:\n          port: 1500\n        guestAgentPing: {}\n      domain:\n", 1),
			[]string{"spec.template.spec.livenessProbe", "exactly one"}},
		{"a probe without a handler", strings.Replace(string(plainVM("x", "Always")), "      domain:\n",
			"      livenessProbe:\n        periodSeconds: 5\n      domain:\n", 1),
			[]string{"guestAgentPing"}},
		{"watchdog action", strings.Replace(string(plainVM("x", "Always")), "      domain:\n        firmware:",
			"      domain:\n        devices:\n          watchdog:\n            name: wd\n            i6300esb:\n              action: explode\n        firmware:", 1),
			[]string{"spec.template.spec.domain.devices.watchdog.i6300esb.action", "poweroff"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := d.Vigil([]byte(c.manifest), "create", "-f", "-")
			if r.Code == 0 {
				t.Fatalf("accepted:\n%s", c.manifest)
			}
			for _, w := range c.want {
				if !strings.Contains(r.Stderr, w) {
					t.Errorf("stderr lacks %q:\n%s", w, r.Stderr)
				}
			}
		})
	}
	if vm := getVM(t, d, ns, "x"); vm != nil {
		t.Fatalf("a bad manifest created vm x")
	}
	if out := d.Vigil(nil, "get", "vm"); strings.Contains(out.Stdout, "x ") {
		t.Fatalf("get vm lists something:\n%s", out.Stdout)
	}
}

// A file holding one good and one bad document creates nothing: every
// document is decoded before anything is sent.
func TestOneBadDocumentCreatesNothing(t *testing.T) {
	d := startDaemon(t)
	multi := string(plainVM("good", "Halted")) + "---\n" + "apiVersion: kubevirt.io/v1\nkind: VirtualMachine\nmetadata:\n  name: bad\n  nme: typo\n"
	r := d.Vigil([]byte(multi), "create", "-f", "-")
	if r.Code == 0 || !strings.Contains(r.Stderr, "metadata.nme: unknown field") {
		t.Fatalf("exit %d stderr %q", r.Code, r.Stderr)
	}
	if getVM(t, d, ns, "good") != nil {
		t.Fatal("the good document was created although its file had a bad one")
	}
}

// A 10 MiB body is refused with 413 and the daemon goes on.
func TestHugeBodyIs413(t *testing.T) {
	d := startDaemon(t)
	body := bytes.Repeat([]byte("a"), 10<<20)
	code, resp, err := d.Request("POST", "/apis/kubevirt.io/v1/namespaces/default/virtualmachines", "application/json", body)
	if err != nil {
		t.Fatal(err)
	}
	if code != 413 {
		t.Fatalf("got %d %s, want 413", code, resp)
	}
	if code, _, _ := d.Get("/readyz"); code != 200 {
		t.Fatalf("daemon not ready after the huge body: %d", code)
	}
}

// A merge patch that would make the object invalid is refused (422) and the
// stored object stays as it was.
func TestInvalidMergePatchChangesNothing(t *testing.T) {
	d := startDaemon(t)
	d.MustVigil(plainVM("patched", "Halted"), "create", "-f", "-")
	waitPrintableStatus(t, d, "patched", v1.VirtualMachineStatusStopped) // the controller has had its say
	before := getVM(t, d, ns, "patched")
	patch := `{"spec":{"runStrategy":"Sometimes","template":{"spec":{"readinessProbe":{"tcpSocket":{"port":0}}}}}}`
	code, resp, err := d.Request("PATCH", "/apis/kubevirt.io/v1/namespaces/default/virtualmachines/patched", "application/merge-patch+json", []byte(patch))
	if err != nil {
		t.Fatal(err)
	}
	if code != 422 {
		t.Fatalf("got %d %s, want 422", code, resp)
	}
	var status struct {
		Details struct {
			Causes []struct{ Field string } `json:"causes"`
		} `json:"details"`
	}
	_ = json.Unmarshal([]byte(resp), &status)
	if len(status.Details.Causes) < 2 {
		t.Errorf("want one cause per field (runStrategy, port), got %s", resp)
	}
	after := getVM(t, d, ns, "patched")
	if after.ResourceVersion != before.ResourceVersion || *after.Spec.RunStrategy != v1.RunStrategyHalted {
		t.Errorf("the object changed: rv %s -> %s, runStrategy %s", before.ResourceVersion, after.ResourceVersion, *after.Spec.RunStrategy)
	}
}

// Two clients updating the same object at once: one wins, the other gets
// 409, and the stored object is one of the two writes, never a mix.
func TestConcurrentUpdatesConflict(t *testing.T) {
	d := startDaemon(t)
	d.MustVigil(plainVM("contended", "Halted"), "create", "-f", "-")
	waitPrintableStatus(t, d, "contended", v1.VirtualMachineStatusStopped) // the controller has had its say
	base := getVM(t, d, ns, "contended")
	writes := []map[string]string{{"writer": "a", "a-only": "1"}, {"writer": "b", "b-only": "1"}}
	codes := make([]int, 2)
	var wg sync.WaitGroup
	for i, labels := range writes {
		vm := base.DeepCopy()
		vm.Labels = labels
		body, _ := json.Marshal(vm)
		wg.Add(1)
		go func(i int, body []byte) {
			defer wg.Done()
			code, _, err := d.Request("PUT", "/apis/kubevirt.io/v1/namespaces/default/virtualmachines/contended", "application/json", body)
			if err != nil {
				t.Error(err)
			}
			codes[i] = code
		}(i, body)
	}
	wg.Wait()
	ok, conflict := 0, 0
	for _, c := range codes {
		switch c {
		case 200:
			ok++
		case 409:
			conflict++
		}
	}
	if ok != 1 || conflict != 1 {
		t.Fatalf("codes %v: want one 200 and one 409", codes)
	}
	got := getVM(t, d, ns, "contended").Labels
	if !(len(got) == 2 && (got["writer"] == "a" && got["a-only"] == "1" || got["writer"] == "b" && got["b-only"] == "1")) {
		t.Fatalf("stored labels %v are not exactly one of the two writes", got)
	}
}
