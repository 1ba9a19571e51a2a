package cli

import (
	"regexp"
	"strings"
	"testing"

	"vigil.dev/vigil/internal/resource"
)

func TestExposeVMSelectsTheTemplateLabels(t *testing.T) {
	f := newFakeAPI(t)
	f.put(resource.VirtualMachines, map[string]any{"metadata": map[string]any{"name": "web", "labels": map[string]any{"vm": "label"}},
		"spec": map[string]any{"template": map[string]any{"metadata": map[string]any{"labels": map[string]any{"app": "web", "tier": "front"}}}}})
	res := run(t, f, "", "expose", "vm", "web", "--port", "80", "--target-port", "http", "--external-ip", "192.0.2.10")
	if res.err != nil {
		t.Fatalf("%v: %s", res.err, res.stderr)
	}
	if res.stdout != "Service web successfully exposed for virtualmachine web\n" {
		t.Fatalf("stdout %q", res.stdout)
	}
	svc := f.object(resource.Services, "default", "web")
	spec := svc["spec"].(map[string]any)
	sel := spec["selector"].(map[string]any)
	if len(sel) != 2 || sel["app"] != "web" || sel["tier"] != "front" {
		t.Fatalf("selector %v, want the template's labels (not the VM's own)", sel)
	}
	port := spec["ports"].([]any)[0].(map[string]any)
	if port["port"] != float64(80) || port["targetPort"] != "http" || port["protocol"] != "TCP" {
		t.Fatalf("port %v", port)
	}
	if ips := spec["externalIPs"].([]any); len(ips) != 1 || ips[0] != "192.0.2.10" {
		t.Fatalf("externalIPs %v", ips)
	}

	res = run(t, f, "", "expose", "vmi", "web-0", "--port", "22", "--name", "ssh", "--protocol", "udp")
	if res.code() != 1 || !strings.Contains(res.stderr, `"web-0" not found`) {
		t.Fatalf("a missing VMI: exit %d, %q", res.code(), res.stderr)
	}
}

func TestExposeRefusals(t *testing.T) {
	f := newFakeAPI(t)
	f.put(resource.VirtualMachines, map[string]any{"metadata": map[string]any{"name": "bare", "labels": map[string]any{"app": "x"}},
		"spec": map[string]any{"template": map[string]any{"spec": map[string]any{}}}})
	f.put(resource.VirtualMachineInstances, map[string]any{"metadata": map[string]any{"name": "vmi",
		"labels": map[string]any{"kubevirt.io/nodeName": "host1", "app": "db"}}})
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"expose", "vm", "bare", "--port", "80"}, `virtualmachine "bare" has no labels in spec.template.metadata.labels`},
		{[]string{"expose", "vm", "bare"}, `required flag(s) "port" not set`},
		{[]string{"expose", "vm", "bare", "--port", "70000"}, "--port must be between 1 and 65535"},
		{[]string{"expose", "vm", "bare", "--port", "80", "--protocol", "SCTP"}, `--protocol must be TCP or UDP, not "SCTP"`},
		{[]string{"expose", "svc", "x", "--port", "80"}, "expose works on virtualmachines (vm) and virtualmachineinstances (vmi), not services"},
	} {
		res := run(t, f, "", tc.args...)
		if res.err == nil || !strings.Contains(res.err.Error()+res.stderr, tc.want) {
			t.Errorf("%v: err %v, stderr %q; want %q", tc.args, res.err, res.stderr, tc.want)
		}
	}
	if res := run(t, f, "", "expose", "vmi", "vmi", "--port", "5432"); res.err != nil {
		t.Fatalf("%v: %s", res.err, res.stderr)
	}
	sel := f.object(resource.Services, "default", "vmi")["spec"].(map[string]any)["selector"].(map[string]any)
	if len(sel) != 1 || sel["app"] != "db" {
		t.Fatalf("a VMI's selector %v, want its labels without the node's", sel)
	}
}

func TestDescribeService(t *testing.T) {
	f := newFakeAPI(t)
	f.put(resource.Services, map[string]any{"metadata": map[string]any{"name": "web"},
		"spec": map[string]any{"selector": map[string]any{"app": "web"}, "type": "ClusterIP", "clusterIP": "10.96.0.10",
			"clusterIPs": []any{"10.96.0.10"}, "ipFamilies": []any{"IPv4"}, "ipFamilyPolicy": "SingleStack",
			"externalIPs": []any{"192.0.2.10"}, "sessionAffinity": "None",
			"ports": []any{map[string]any{"name": "http", "port": 80, "targetPort": "http", "protocol": "TCP"}}}})
	f.put(resource.Endpoints, map[string]any{"metadata": map[string]any{"name": "web"},
		"subsets": []any{map[string]any{
			"addresses":         []any{map[string]any{"ip": "10.89.0.5", "targetRef": map[string]any{"kind": "VirtualMachineInstance", "name": "web-a"}}},
			"notReadyAddresses": []any{map[string]any{"ip": "10.89.0.6", "targetRef": map[string]any{"kind": "VirtualMachineInstance", "name": "web-b"}}},
			"ports":             []any{map[string]any{"name": "http", "port": 8080, "protocol": "TCP"}}}}})
	res := run(t, f, "", "describe", "svc", "web")
	if res.err != nil {
		t.Fatalf("%v: %s", res.err, res.stderr)
	}
	for _, want := range []string{
		`^Name:\s+web$`, `^Kind:\s+Service$`, `^Selector:\s+app=web$`, `^Type:\s+ClusterIP$`,
		`^IP Family Policy:\s+SingleStack$`, `^IP Families:\s+IPv4$`, `^IP:\s+10.96.0.10$`, `^IPs:\s+10.96.0.10$`,
		`^External IPs:\s+192.0.2.10$`, `^Port:\s+http  80/TCP$`, `^TargetPort:\s+http/TCP$`,
		`^Endpoints:\s+10.89.0.5:8080 \(web-a\)$`, `^Not Ready Endpoints:\s+10.89.0.6:8080 \(web-b\)$`,
		`^Session Affinity:\s+None$`, `^Events:\s+<none>$`,
	} {
		if !regexp.MustCompile(`(?m)` + want).MatchString(res.stdout) {
			t.Errorf("describe svc lacks %s", want)
		}
	}
	if t.Failed() {
		t.Logf("output:\n%s", res.stdout)
	}
	// No Endpoints yet (the controller has not written them): shown as none.
	f.put(resource.Services, map[string]any{"metadata": map[string]any{"name": "new"},
		"spec": map[string]any{"ports": []any{map[string]any{"port": 80}}}})
	res = run(t, f, "", "describe", "svc", "new")
	if res.err != nil || !regexp.MustCompile(`(?m)^Endpoints:\s+<none>$`).MatchString(res.stdout) ||
		!regexp.MustCompile(`(?m)^Port:\s+<unset>  80/TCP$`).MatchString(res.stdout) {
		t.Fatalf("describe svc new: %v\n%s", res.err, res.stdout)
	}
}
