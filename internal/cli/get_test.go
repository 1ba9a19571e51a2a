package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"vigil.dev/vigil/internal/resource"
)

func seedVM(f *fakeAPI, ns, name, status string, ready bool) {
	f.put(resource.VirtualMachines, map[string]any{
		"metadata": map[string]any{"name": name, "namespace": ns, "labels": map[string]any{"app": name}},
		"spec":     map[string]any{"runStrategy": "Always", "template": map[string]any{"spec": map[string]any{"domain": map[string]any{"devices": map[string]any{}}}}},
		"status":   map[string]any{"printableStatus": status, "ready": ready},
	})
}

func TestGetTables(t *testing.T) {
	f := newFakeAPI(t)
	seedVM(f, "default", "fedora-vm", "Running", true)
	seedVM(f, "default", "b", "Stopped", false)
	seedVM(f, "prod", "db", "Starting", false)

	res := run(t, f, "", "get", "vm")
	want := "NAME        AGE   STATUS    READY\n" +
		"b           5m    Stopped   False\n" +
		"fedora-vm   5m    Running   True\n"
	if res.err != nil || res.stdout != want {
		t.Errorf("get vm: %v\n%s\nwant:\n%s", res.err, res.stdout, want)
	}

	res = run(t, f, "", "get", "virtualmachines", "-A", "-o", "wide")
	want = "NAMESPACE   NAME        AGE   STATUS     READY   RUNSTRATEGY\n" +
		"default     b           5m    Stopped    False   Always\n" +
		"default     fedora-vm   5m    Running    True    Always\n" +
		"prod        db          5m    Starting   False   Always\n"
	if res.err != nil || res.stdout != want {
		t.Errorf("get vm -A -o wide: %v\n%s\nwant:\n%s", res.err, res.stdout, want)
	}

	res = run(t, f, "", "get", "vm", "-l", "app=b", "--no-headers")
	if res.stdout != "b     5m    Stopped   False\n" {
		t.Errorf("label selector: %q", res.stdout)
	}
	if q := f.requests("GET"); !strings.Contains(q[len(q)-1].Query, "labelSelector=app%3Db") {
		t.Errorf("label selector not sent: %q", q[len(q)-1].Query)
	}

	res = run(t, f, "", "get", "vm/b", "vm/fedora-vm", "-o", "name")
	if res.stdout != "virtualmachine.kubevirt.io/b\nvirtualmachine.kubevirt.io/fedora-vm\n" {
		t.Errorf("-o name: %q", res.stdout)
	}
}

func TestGetOtherKinds(t *testing.T) {
	f := newFakeAPI(t)
	f.put(resource.Services, map[string]any{"metadata": map[string]any{"name": "web"},
		"spec": map[string]any{"clusterIP": "10.96.0.1", "ports": []any{map[string]any{"port": 80, "protocol": "TCP"}}}})
	f.put(resource.Endpoints, map[string]any{"metadata": map[string]any{"name": "web"},
		"subsets": []any{map[string]any{"addresses": []any{map[string]any{"ip": "10.0.0.2"}}, "ports": []any{map[string]any{"port": 80}}}}})
	f.put(resource.VirtualMachineInstances, map[string]any{"metadata": map[string]any{"name": "a"},
		"spec": map[string]any{"domain": map[string]any{"devices": map[string]any{}}},
		"status": map[string]any{"phase": "Running", "nodeName": "host1", "interfaces": []any{map[string]any{"ipAddress": "10.0.0.2"}},
			"conditions": []any{map[string]any{"type": "Ready", "status": "True"}}}})
	f.put(resource.Events, map[string]any{"metadata": map[string]any{"name": "a.1"}, "type": "Normal", "reason": "Started",
		"involvedObject": map[string]any{"kind": "VirtualMachineInstance", "name": "a"}, "message": "VMI started",
		"lastTimestamp": fixedNow.Add(-10 * time.Second).Format(time.RFC3339)})
	cases := []struct{ typ, want string }{
		{"svc", "NAME   TYPE        CLUSTER-IP   EXTERNAL-IP   PORT(S)   AGE\nweb    ClusterIP   10.96.0.1    <none>        80/TCP    5m\n"},
		{"ep", "NAME   ENDPOINTS     AGE\nweb    10.0.0.2:80   5m\n"},
		{"vmi", "NAME   AGE   PHASE     IP         NODENAME   READY\na      5m    Running   10.0.0.2   host1      True\n"},
		{"events", "LAST SEEN   TYPE     REASON    OBJECT                     MESSAGE\n10s         Normal   Started   virtualmachineinstance/a   VMI started\n"},
	}
	for _, tc := range cases {
		res := run(t, f, "", "get", tc.typ)
		if res.err != nil || res.stdout != tc.want {
			t.Errorf("get %s: %v\n%s\nwant:\n%s", tc.typ, res.err, res.stdout, tc.want)
		}
	}
}

func TestGetJSONIsTheRawBody(t *testing.T) {
	f := newFakeAPI(t)
	raw := `{"kind":"VirtualMachine","apiVersion":"kubevirt.io/v1",   "metadata":{"name":"raw","namespace":"default","extraServerField":1},` +
		`"spec":{"template":{"spec":{"domain":{"devices":{}}}}},"status":{"printableStatus":"Stopped"}}`
	f.putRaw(resource.VirtualMachines, "default", "raw", []byte(raw))
	res := run(t, f, "", "get", "vm", "raw", "-o", "json")
	if res.err != nil || res.stdout != raw+"\n" {
		t.Errorf("-o json changed the body:\n%s\nwant:\n%s", res.stdout, raw)
	}
	res = run(t, f, "", "get", "vm", "-o", "json")
	var compact bytes.Buffer
	json.Compact(&compact, []byte(raw)) // the fake server, like a real one, re-encodes list items
	wantList := `{"apiVersion":"kubevirt.io/v1","items":[` + compact.String() + `],"kind":"VirtualMachineList","metadata":{"resourceVersion":"0"}}` + "\n"
	if res.stdout != wantList {
		t.Errorf("-o json list:\n%s\nwant:\n%s", res.stdout, wantList)
	}
	res = run(t, f, "", "get", "vm", "raw", "-o", "yaml")
	for _, want := range []string{"kind: VirtualMachine\n", "  extraServerField: 1\n", "  printableStatus: Stopped\n"} {
		if !strings.Contains(res.stdout, want) {
			t.Errorf("-o yaml lacks %q:\n%s", want, res.stdout)
		}
	}
}

func TestGetErrors(t *testing.T) {
	f := newFakeAPI(t)
	seedVM(f, "default", "a", "Running", true)

	res := run(t, f, "", "get", "vm", "a", "nope")
	if res.code() != 1 || res.stderr != `Error from server (NotFound): virtualmachines.kubevirt.io "nope" not found`+"\n" {
		t.Errorf("missing name: exit %d, stderr %q", res.code(), res.stderr)
	}
	if !strings.HasPrefix(res.stdout, "NAME   AGE   STATUS    READY\na      5m") {
		t.Errorf("the found object was not printed: %q", res.stdout)
	}

	res = run(t, f, "", "get", "vm", "-n", "empty")
	if res.err != nil || res.stdout != "" || res.stderr != "No resources found in empty namespace.\n" {
		t.Errorf("empty: %v %q %q", res.err, res.stdout, res.stderr)
	}

	res = run(t, f, "", "get", "pods")
	if res.err == nil || !strings.Contains(res.err.Error(), `unknown resource type "pods"`) ||
		!strings.Contains(res.err.Error(), "virtualmachines (vm), virtualmachineinstances (vmi), services (svc)") {
		t.Errorf("unknown type: %v", res.err)
	}
	res = run(t, f, "", "get", "vm", "-o", "table")
	if res.err == nil || !strings.Contains(res.err.Error(), "json,name,wide,yaml") {
		t.Errorf("bad output format: %v", res.err)
	}
}

func TestGetWatchPrintsEachChange(t *testing.T) {
	f := newFakeAPI(t)
	seedVM(f, "default", "a", "Starting", false)
	ctx, cancel := context.WithCancel(context.Background())
	out := newSignalBuffer()
	done := make(chan result, 1)
	go func() { done <- runCtx(ctx, f, "", out, "get", "vm", "a", "-w") }()

	out.waitFor(t, "a      5m    Starting   False\n")
	f.awaitWatch(t)
	seedVM(f, "default", "a", "Running", true)
	out.waitFor(t, "a      5m    Running    True\n")
	cancel()
	res := <-done
	if res.err != nil {
		t.Fatalf("interrupted watch: %v (%s)", res.err, res.stderr)
	}
	want := "NAME   AGE   STATUS     READY\na      5m    Starting   False\na      5m    Running    True\n"
	if out.String() != want {
		t.Errorf("output:\n%s\nwant:\n%s", out.String(), want)
	}
	watches := f.requests("GET")
	last := watches[len(watches)-1]
	if !strings.Contains(last.Query, "watch=true") || !strings.Contains(last.Query, "fieldSelector=metadata.name%3Da") ||
		!strings.Contains(last.Query, "resourceVersion=1") {
		t.Errorf("watch query %q", last.Query)
	}
}
