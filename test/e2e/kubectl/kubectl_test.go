package kubectl

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"vigil.dev/vigil/test/e2e/framework"
)

// TestKubectl drives one daemon with kubectl; each subtest works in a
// namespace of its own.
func TestKubectl(t *testing.T) {
	k := startKube(t, framework.Options{Args: noNodeArgs(t)})
	t.Run("discovery, version and explain", k.testDiscovery)
	t.Run("create and get", k.testCreateAndGet)
	t.Run("client-side apply", k.testApply)
	t.Run("server-side apply", k.testServerSideApply)
	t.Run("service ports and endpoints", k.testService)
	t.Run("bad manifests", k.testBadManifests)
	t.Run("watch, wait, describe, events, delete", k.testLifecycle)
	t.Run("older kubectl", k.testOlderKubectl)
}

func (k *kube) sub(t *testing.T) *kube {
	c := *k
	c.t = t
	return &c
}

func (k *kube) testDiscovery(t *testing.T) {
	k = k.sub(t)
	out := k.must(nil, "version")
	if !strings.Contains(out, "Server Version: v1.33.0-vigil") {
		t.Errorf("version:\n%s", out)
	}
	want := map[string]string{
		"virtualmachines":         "vm,vms kubevirt.io/v1 true VirtualMachine",
		"virtualmachineinstances": "vmi,vmis kubevirt.io/v1 true VirtualMachineInstance",
		"services":                "svc v1 true Service",
		"endpoints":               "ep v1 true Endpoints",
		"events":                  "ev v1 true Event",
	}
	for _, row := range table(k.must(nil, "api-resources"))[1:] {
		if w, ok := want[row[0]]; ok && strings.Join(row[1:], " ") == w {
			delete(want, row[0])
		}
	}
	if len(want) > 0 {
		t.Errorf("api-resources lacks %v", want)
	}
	// explain reads the OpenAPI v3 schema generated from the Go types.
	out = k.must(nil, "explain", "vm.spec.template.spec.readinessProbe")
	for _, want := range []string{"KIND:       VirtualMachine", "FIELD: readinessProbe <Probe>", "httpGet\t<HTTPGetAction>", "guestAgentPing\t<GuestAgentPing>"} {
		if !strings.Contains(out, want) {
			t.Errorf("explain lacks %q:\n%s", want, out)
		}
	}
}

func (k *kube) testCreateAndGet(t *testing.T) {
	k = k.sub(t)
	ns := "get"
	for _, name := range []string{"c1", "c2"} {
		out := k.must(vmManifest(name, "Halted", ", tier: "+name), "create", "-n", ns, "-f", "-")
		if strings.TrimSpace(out) != "virtualmachine.kubevirt.io/"+name+" created" {
			t.Errorf("create: %q", out)
		}
	}
	k.must(nil, "wait", "-n", ns, "vm/c1", "vm/c2", "--for=jsonpath={.status.printableStatus}=Stopped", "--timeout=60s")
	rows := table(k.must(nil, "get", "-n", ns, "vm"))
	if strings.Join(rows[0], " ") != "NAME AGE STATUS READY" || len(rows) != 3 ||
		rows[1][0] != "c1" || rows[1][2] != "Stopped" || rows[1][3] != "False" {
		t.Errorf("get vm: %q", rows)
	}
	rows = table(k.must(nil, "get", "-n", ns, "vm", "c1", "-o", "wide", "--show-labels"))
	if strings.Join(rows[0], " ") != "NAME AGE STATUS READY RUNSTRATEGY LABELS" || rows[1][4] != "Halted" || rows[1][5] != "app=c1,tier=c1" {
		t.Errorf("get -o wide --show-labels: %q", rows)
	}
	rows = table(k.must(nil, "get", "vm", "-A"))
	if strings.Join(rows[0], " ") != "NAMESPACE NAME AGE STATUS READY" || !slices.ContainsFunc(rows[1:], func(r []string) bool {
		return r[0] == ns && r[1] == "c2"
	}) {
		t.Errorf("get -A: %q", rows)
	}
	if rows := table(k.must(nil, "get", "-n", ns, "vm", "--field-selector", "metadata.name=c2")); len(rows) != 2 || rows[1][0] != "c2" {
		t.Errorf("field selector: %q", rows)
	}
	if rows := table(k.must(nil, "get", "-n", ns, "vm", "-l", "tier=c1")); len(rows) != 2 || rows[1][0] != "c1" {
		t.Errorf("label selector: %q", rows)
	}
	if rows := table(k.must(nil, "get", "-n", ns, "vm", "--chunk-size=1")); len(rows) != 3 {
		t.Errorf("paged list: %q", rows)
	}
	out := k.must(nil, "get", "-n", ns, "vm", "c1", "-o", "yaml")
	for _, want := range []string{"apiVersion: kubevirt.io/v1", "kind: VirtualMachine", "runStrategy: Halted", "namespace: get", "uid: "} {
		if !strings.Contains(out, want) {
			t.Errorf("-o yaml lacks %q:\n%s", want, out)
		}
	}
	if out := k.must(nil, "get", "-n", ns, "vm", "c2", "-o", "jsonpath={.spec.template.spec.domain.firmware.kernelBoot.container.image}"); out != "tiny" {
		t.Errorf("jsonpath: %q", out)
	}
}

func (k *kube) testApply(t *testing.T) {
	k = k.sub(t)
	ns := "apply"
	apply := func(manifest []byte, want string) {
		t.Helper()
		if out := strings.TrimSpace(k.must(manifest, "apply", "-n", ns, "-f", "-")); out != want {
			t.Errorf("apply: %q, want %q", out, want)
		}
	}
	apply(vmManifest("a1", "Halted", ", tier: one"), "virtualmachine.kubevirt.io/a1 created")
	apply(vmManifest("a1", "Halted", ", tier: one"), "virtualmachine.kubevirt.io/a1 unchanged")
	apply(vmManifest("a1", "Manual", ""), "virtualmachine.kubevirt.io/a1 configured")
	out := k.must(nil, "get", "-n", ns, "vm", "a1", "-o", "jsonpath={.spec.runStrategy} {.metadata.labels}")
	if out != `Manual {"app":"a1"}` {
		t.Errorf("after the edit: %q (the change did not land, or the dropped label stayed)", out)
	}
}

func (k *kube) testServerSideApply(t *testing.T) {
	k = k.sub(t)
	ns := "ssa"
	out := k.must(vmManifest("s1", "Halted", ", tier: web"), "apply", "--server-side", "-n", ns, "-f", "-")
	if strings.TrimSpace(out) != "virtualmachine.kubevirt.io/s1 serverside-applied" {
		t.Errorf("apply --server-side: %q", out)
	}
	k.must(vmManifest("s1", "Halted", ""), "apply", "--server-side", "-n", ns, "-f", "-")
	if out := k.must(nil, "get", "-n", ns, "vm", "s1", "-o", "jsonpath={.metadata.labels}"); out != `{"app":"s1"}` {
		t.Errorf("a label dropped from the applied manifest stayed: %s", out)
	}
	// Another manager may not silently take a field over.
	stderr := k.fails(vmManifest("s1", "Always", ""), "apply", "--server-side", "--field-manager=other", "-n", ns, "-f", "-")
	if !strings.Contains(stderr, `conflict with "kubectl"`) || !strings.Contains(stderr, ".spec.runStrategy") {
		t.Errorf("conflict: %s", stderr)
	}
	k.must(vmManifest("s1", "Always", ""), "apply", "--server-side", "--field-manager=other", "--force-conflicts", "-n", ns, "-f", "-")
	if out := k.must(nil, "get", "-n", ns, "vm", "s1", "-o", "jsonpath={.spec.runStrategy}"); out != "Always" {
		t.Errorf("forced apply: runStrategy %q", out)
	}
}

func serviceManifest(ports ...string) []byte {
	m := "apiVersion: v1\nkind: Service\nmetadata:\n  name: web\nspec:\n  selector:\n    app: web\n  ports:\n"
	for _, p := range ports {
		m += "  - " + p + "\n"
	}
	return []byte(m)
}

func (k *kube) testService(t *testing.T) {
	k = k.sub(t)
	ns := "svc"
	k.must(serviceManifest("{name: http, port: 80, targetPort: 8080}", "{name: https, port: 443, targetPort: 8443}"), "apply", "-n", ns, "-f", "-")
	rows := table(k.must(nil, "get", "-n", ns, "svc"))
	if strings.Join(rows[0], " ") != "NAME TYPE CLUSTER-IP EXTERNAL-IP PORT(S) AGE" || rows[1][0] != "web" || rows[1][4] != "80/TCP,443/TCP" {
		t.Errorf("get svc: %q", rows)
	}
	// kubectl sends a strategic merge patch for a Service: the removed port
	// goes (a JSON merge patch would need the whole list).
	out := k.must(serviceManifest("{name: http, port: 80, targetPort: 8080}"), "apply", "-n", ns, "-f", "-")
	if strings.TrimSpace(out) != "service/web configured" {
		t.Errorf("second apply: %q", out)
	}
	if out := k.must(nil, "get", "-n", ns, "svc", "web", "-o", "jsonpath={.spec.ports[*].name}"); out != "http" {
		t.Errorf("ports after the second apply: %q", out)
	}
	ep := "apiVersion: v1\nkind: Endpoints\nmetadata:\n  name: manual\nsubsets:\n- addresses: [{ip: 10.0.0.2}]\n  ports: [{port: 80}]\n"
	k.must([]byte(ep), "create", "-n", ns, "-f", "-")
	rows = table(k.must(nil, "get", "-n", ns, "ep", "manual"))
	if strings.Join(rows[0], " ") != "NAME ENDPOINTS AGE" || rows[1][1] != "10.0.0.2:80" {
		t.Errorf("get ep: %q", rows)
	}
}

func (k *kube) testBadManifests(t *testing.T) {
	k = k.sub(t)
	ns := "bad"
	typo := strings.Replace(string(vmManifest("b1", "Halted", "")), "      domain:",
		"      readinessProbe:\n        httpGett:\n          port: 80\n      domain:", 1)
	for _, verb := range []string{"create", "apply"} {
		stderr := k.fails([]byte(typo), verb, "-n", ns, "-f", "-")
		if !strings.Contains(stderr, `The VirtualMachine "b1" is invalid: spec.template.spec.readinessProbe.httpGett: unknown field`) {
			t.Errorf("%s with a typo: %s", verb, stderr)
		}
	}
	stderr := k.fails(vmManifest("b1", "Sometimes", ""), "apply", "-n", ns, "-f", "-")
	if !strings.Contains(stderr, "spec.runStrategy") || !strings.Contains(stderr, "Sometimes") {
		t.Errorf("bad run strategy: %s", stderr)
	}
	if stderr := k.fails(nil, "get", "-n", ns, "vm", "b1"); !strings.Contains(stderr, `virtualmachines.kubevirt.io "b1" not found`) {
		t.Errorf("a refused manifest was stored: %s", stderr)
	}
	// --validate=warn asks the server to drop unknown fields and say so.
	extra := strings.Replace(string(vmManifest("b2", "Halted", "")), "  runStrategy:", "  colour: red\n  runStrategy:", 1)
	r := k.run([]byte(extra), "create", "--validate=warn", "-n", ns, "-f", "-")
	if r.code != 0 || !strings.Contains(r.stderr, `unknown field "spec.colour"`) {
		t.Errorf("--validate=warn: exit %d, stderr %s", r.code, r.stderr)
	}
}

func (k *kube) testLifecycle(t *testing.T) {
	k = k.sub(t)
	ns := "life"
	k.must(vmManifest("w1", "Always", ""), "apply", "-n", ns, "-f", "-")
	watch := k.start("get", "-n", ns, "vmi", "-w")
	watch.waitLine("the VMI's first row", func(f []string) bool { return len(f) > 0 && f[0] == "w1" })

	// No node runs here: report the VMI running and ready the way a node
	// does, through the status subresource.
	k.must(nil, "patch", "-n", ns, "vmi", "w1", "--subresource=status", "--type=merge",
		"-p", `{"status":{"phase":"Running","nodeName":"host1","conditions":[{"type":"Ready","status":"True"}]}}`)
	watch.waitLine("the VMI Running and Ready", func(f []string) bool {
		return len(f) == 6 && f[0] == "w1" && f[2] == "Running" && f[4] == "host1" && f[5] == "True"
	})
	for _, obj := range []string{"vmi/w1", "vm/w1"} {
		out := k.must(nil, "wait", "-n", ns, obj, "--for=condition=Ready", "--timeout=60s")
		if !strings.Contains(out, "condition met") {
			t.Errorf("wait %s: %q", obj, out)
		}
	}

	uid := k.must(nil, "get", "-n", ns, "vm", "w1", "-o", "jsonpath={.metadata.uid}")
	now := time.Now().UTC().Format(time.RFC3339)
	event := fmt.Sprintf(`apiVersion: v1
kind: Event
metadata:
  name: w1.checked
involvedObject: {apiVersion: kubevirt.io/v1, kind: VirtualMachine, name: w1, namespace: %s, uid: %s}
type: Warning
reason: Checked
message: looked at by the kubectl test
source: {component: e2e}
firstTimestamp: %s
lastTimestamp: %s
count: 1
`, ns, uid, now, now)
	k.must([]byte(event), "create", "-n", ns, "-f", "-")
	out := k.must(nil, "describe", "-n", ns, "vm", "w1")
	if !strings.Contains(out, "Events:") || !strings.Contains(out, "looked at by the kubectl test") {
		t.Errorf("describe shows no events:\n%s", out)
	}
	rows := table(k.must(nil, "get", "-n", ns, "events"))
	if strings.Join(rows[0], " ") != "LAST SEEN TYPE REASON OBJECT MESSAGE" || !slices.ContainsFunc(rows[1:], func(r []string) bool {
		return slices.Contains(r, "Checked") && slices.Contains(r, "virtualmachine/w1")
	}) {
		t.Errorf("get events: %q", rows)
	}
	if rows := table(k.must(nil, "get", "-n", ns, "events", "--field-selector", "reason=Checked")); len(rows) != 2 {
		t.Errorf("events by reason: %q", rows)
	}

	out = k.must(nil, "delete", "-n", ns, "vm", "w1")
	if strings.TrimSpace(out) != `virtualmachine.kubevirt.io "w1" deleted` {
		t.Errorf("delete: %q", out)
	}
	k.fails(nil, "get", "-n", ns, "vm", "w1")
	// The VMI went with its VM.
	if r := k.run(nil, "get", "-n", ns, "vmi"); !strings.Contains(r.stderr, "No resources found") {
		t.Errorf("the VMI outlived its VM: %s%s", r.stdout, r.stderr)
	}
}

// testOlderKubectl runs an older kubectl (1.27 asks for aggregated
// discovery v2beta1 only) when the install bundles one next to kubectl.
func (k *kube) testOlderKubectl(t *testing.T) {
	k = k.sub(t)
	real, err := filepath.EvalSymlinks(k.kubectl)
	if err != nil {
		t.Fatal(err)
	}
	old := filepath.Join(filepath.Dir(real), "kubectl.1.27")
	if _, err := os.Stat(old); err != nil {
		t.Skipf("no kubectl 1.27 next to %s", real)
	}
	k.kubectl = old
	k.cacheDir += "-1.27"
	k.must(vmManifest("o1", "Halted", ""), "apply", "-n", "old", "-f", "-")
	rows := table(k.must(nil, "get", "-n", "old", "vm"))
	if strings.Join(rows[0], " ") != "NAME AGE STATUS READY" || rows[1][0] != "o1" {
		t.Errorf("kubectl 1.27 get: %q", rows)
	}
}
