package cli

import (
	"bytes"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/intstr"

	v1 "vigil.dev/vigil/api/v1"
	"vigil.dev/vigil/internal/resource"
)

func ago(d time.Duration) metav1.Time { return metav1.NewTime(fixedNow.Add(-d)) }

func objMeta(name string, created time.Duration) metav1.ObjectMeta {
	return metav1.ObjectMeta{Name: name, Namespace: "default", CreationTimestamp: ago(created), UID: types.UID("uid-" + name)}
}

func TestVMRows(t *testing.T) {
	always := v1.RunStrategyManual
	yes := true
	cases := []struct {
		name string
		vm   v1.VirtualMachine
		want []string
	}{
		{"running and ready", v1.VirtualMachine{ObjectMeta: objMeta("a", 90*time.Second),
			Spec:   v1.VirtualMachineSpec{RunStrategy: &always},
			Status: v1.VirtualMachineStatus{PrintableStatus: "Running", Ready: true}},
			[]string{"a", "90s", "Running", "True", "Manual"}},
		{"no status yet, running: true", v1.VirtualMachine{ObjectMeta: objMeta("b", 3*time.Hour),
			Spec: v1.VirtualMachineSpec{Running: &yes}},
			[]string{"b", "3h", "<none>", "False", "Always"}},
		{"controller's strategy wins, no timestamp", v1.VirtualMachine{ObjectMeta: metav1.ObjectMeta{Name: "c"},
			Status: v1.VirtualMachineStatus{PrintableStatus: "CrashLoopBackOff", RunStrategy: "RerunOnFailure"}},
			[]string{"c", "<unknown>", "CrashLoopBackOff", "False", "RerunOnFailure"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			row, err := vmRow(&tc.vm, fixedNow, true)
			if err != nil {
				t.Fatal(err)
			}
			if strings.Join(row, "|") != strings.Join(tc.want, "|") {
				t.Errorf("row %q, want %q", row, tc.want)
			}
		})
	}
}

func TestVMIRows(t *testing.T) {
	vmi := v1.VirtualMachineInstance{ObjectMeta: objMeta("a", 2*time.Minute),
		Status: v1.VirtualMachineInstanceStatus{
			Phase: v1.Running, NodeName: "host1",
			Interfaces: []v1.VirtualMachineInstanceNetworkInterface{{Name: "default", IPs: []string{"10.0.0.7"}}},
			Conditions: []v1.VirtualMachineInstanceCondition{{Type: v1.VirtualMachineInstanceReady, Status: corev1.ConditionTrue}},
			Watchdog:   &v1.WatchdogStatus{Firings: 2, LastAction: "reset"},
		}}
	row, _ := vmiRow(&vmi, fixedNow, true)
	want := []string{"a", "2m", "Running", "10.0.0.7", "host1", "True", "<none>", "2 (reset)", "uid-a"}
	if strings.Join(row, "|") != strings.Join(want, "|") {
		t.Errorf("row %q, want %q", row, want)
	}
	pending := v1.VirtualMachineInstance{ObjectMeta: objMeta("b", time.Second),
		Spec: v1.VirtualMachineInstanceSpec{Domain: v1.DomainSpec{Devices: v1.Devices{Watchdog: &v1.Watchdog{Name: "w"}}}},
		Status: v1.VirtualMachineInstanceStatus{Phase: v1.Pending,
			Conditions: []v1.VirtualMachineInstanceCondition{{Type: v1.VirtualMachineInstanceReady, Status: corev1.ConditionFalse, Reason: v1.GuestNotRunningReason}}}}
	row, _ = vmiRow(&pending, fixedNow, true)
	want = []string{"b", "1s", "Pending", "<none>", "<none>", "False", "<none>", "0", "uid-b"}
	if strings.Join(row, "|") != strings.Join(want, "|") {
		t.Errorf("row %q, want %q", row, want)
	}
}

func TestServiceAndEndpointsRows(t *testing.T) {
	svc := corev1.Service{ObjectMeta: objMeta("web", 48*time.Hour), Spec: corev1.ServiceSpec{
		ClusterIP: "10.96.0.10", Selector: map[string]string{"app": "web", "tier": "fe"},
		Ports: []corev1.ServicePort{{Port: 80, Protocol: corev1.ProtocolTCP}, {Port: 53, NodePort: 30053, Protocol: corev1.ProtocolUDP}},
	}}
	row, _ := serviceRow(&svc, fixedNow, true)
	want := []string{"web", "ClusterIP", "10.96.0.10", "<none>", "80/TCP,53:30053/UDP", "2d", "app=web,tier=fe"}
	if strings.Join(row, "|") != strings.Join(want, "|") {
		t.Errorf("service row %q, want %q", row, want)
	}
	lb := corev1.Service{ObjectMeta: objMeta("lb", time.Minute), Spec: corev1.ServiceSpec{Type: corev1.ServiceTypeLoadBalancer}}
	if row, _ := serviceRow(&lb, fixedNow, false); row[3] != "<pending>" || row[4] != "<none>" {
		t.Errorf("load balancer row %q", row)
	}

	ep := corev1.Endpoints{ObjectMeta: objMeta("web", time.Minute), Subsets: []corev1.EndpointSubset{{
		Addresses: []corev1.EndpointAddress{{IP: "10.0.0.2"}, {IP: "10.0.0.3"}},
		Ports:     []corev1.EndpointPort{{Port: 80}, {Port: 443}},
	}}}
	row, _ = endpointsRow(&ep, fixedNow, false)
	if want := "10.0.0.2:80,10.0.0.2:443,10.0.0.3:80 + 1 more..."; row[1] != want {
		t.Errorf("endpoints %q, want %q", row[1], want)
	}
	empty := corev1.Endpoints{ObjectMeta: objMeta("none", time.Minute)}
	if row, _ := endpointsRow(&empty, fixedNow, false); row[1] != "<none>" {
		t.Errorf("no endpoints: %q", row[1])
	}
}

func TestEventRows(t *testing.T) {
	ev := corev1.Event{ObjectMeta: objMeta("a.1", time.Hour),
		InvolvedObject: corev1.ObjectReference{Kind: "VirtualMachineInstance", Name: "a"},
		Type:           "Warning", Reason: "Unhealthy", Message: "Readiness probe failed: HTTP probe failed with statuscode: 500\n",
		Count: 3, FirstTimestamp: ago(10 * time.Minute), LastTimestamp: ago(30 * time.Second),
		Source: corev1.EventSource{Component: "vigil-node", Host: "host1"}}
	row, _ := eventRow(&ev, fixedNow, true)
	want := []string{"30s (x3 over 10m)", "Warning", "Unhealthy", "virtualmachineinstance/a",
		"Readiness probe failed: HTTP probe failed with statuscode: 500", "vigil-node, host1", "10m", "3", "a.1"}
	if strings.Join(row, "|") != strings.Join(want, "|") {
		t.Errorf("row %q\nwant %q", row, want)
	}
	once := corev1.Event{EventTime: metav1.NewMicroTime(fixedNow.Add(-5 * time.Second)), Type: "Normal", Reason: "Started"}
	if row, _ := eventRow(&once, fixedNow, false); row[0] != "5s" {
		t.Errorf("eventTime only: %q", row[0])
	}

	evs := []runtime.Object{
		&corev1.Event{ObjectMeta: metav1.ObjectMeta{Name: "late"}, LastTimestamp: ago(time.Second)},
		&corev1.Event{ObjectMeta: metav1.ObjectMeta{Name: "early"}, LastTimestamp: ago(time.Hour)},
	}
	sortEventsByLastSeen(evs)
	if nameOf(evs[0]) != "early" {
		t.Errorf("events not oldest first: %s, %s", nameOf(evs[0]), nameOf(evs[1]))
	}
}

func TestTableWriterAlignsLikeKubectl(t *testing.T) {
	var b bytes.Buffer
	w := newTableWriter(&b)
	w.write([][]string{{"NAME", "AGE", "STATUS", "READY"}, {"fedora-vm", "5m", "Running", "True"}, {"a", "10d", "Stopped", "False"}})
	want := "NAME        AGE   STATUS    READY\n" +
		"fedora-vm   5m    Running   True\n" +
		"a           10d   Stopped   False\n"
	if b.String() != want {
		t.Errorf("table:\n%s\nwant:\n%s", b.String(), want)
	}
	// Later rows (a watch) keep the widths and widen only when they must.
	b.Reset()
	w.write([][]string{{"b", "1s", "Starting", "False"}, {"a-much-longer-name", "1s", "Running", "True"}})
	want = "b                    1s    Starting   False\n" +
		"a-much-longer-name   1s    Running    True\n"
	if b.String() != want {
		t.Errorf("watch rows:\n%s\nwant:\n%s", b.String(), want)
	}
}

func TestAllNamespacesAddsNamespaceColumn(t *testing.T) {
	vm := &v1.VirtualMachine{ObjectMeta: metav1.ObjectMeta{Name: "a", Namespace: "prod", CreationTimestamp: ago(time.Minute)}}
	opts := printOptions{allNamespaces: true}
	if h := tableHeaders(resource.VirtualMachines, opts); strings.Join(h, " ") != "NAMESPACE NAME AGE STATUS READY" {
		t.Errorf("headers %q", h)
	}
	rows, err := tableRows(resource.VirtualMachines, []runtime.Object{vm}, fixedNow, opts)
	if err != nil || strings.Join(rows[0], " ") != "prod a 60s <none> False" {
		t.Errorf("rows %q, %v", rows, err)
	}
}

func TestProbeText(t *testing.T) {
	cases := []struct {
		p    v1.Probe
		want string
	}{
		{v1.Probe{Handler: v1.Handler{HTTPGet: &corev1.HTTPGetAction{Path: "/healthz", Port: intstr.FromInt32(1500), Scheme: "HTTP"}},
			InitialDelaySeconds: 120, TimeoutSeconds: 10, PeriodSeconds: 20, SuccessThreshold: 3, FailureThreshold: 3},
			"http-get http://:1500/healthz delay=120s timeout=10s period=20s #success=3 #failure=3"},
		{v1.Probe{Handler: v1.Handler{TCPSocket: &corev1.TCPSocketAction{Port: intstr.FromString("web")}}, TimeoutSeconds: 1, PeriodSeconds: 10, SuccessThreshold: 1, FailureThreshold: 3},
			"tcp-socket :web delay=0s timeout=1s period=10s #success=1 #failure=3"},
		{v1.Probe{Handler: v1.Handler{GuestAgentPing: &v1.GuestAgentPing{}}}, "guest-agent-ping delay=0s timeout=0s period=0s #success=0 #failure=0"},
		{v1.Probe{Handler: v1.Handler{Exec: &corev1.ExecAction{Command: []string{"cat", "/tmp/ok"}}}}, "exec [cat /tmp/ok] delay=0s timeout=0s period=0s #success=0 #failure=0"},
	}
	for _, tc := range cases {
		if got := probeText(&tc.p); got != tc.want {
			t.Errorf("got  %q\nwant %q", got, tc.want)
		}
	}
}
