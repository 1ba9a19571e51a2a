package printers

import (
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"

	v1 "vigil.dev/vigil/api/v1"
	"vigil.dev/vigil/internal/resource"
)

var now = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

func ago(d time.Duration) metav1.Time { return metav1.NewTime(now.Add(-d)) }

func objMeta(name string, created time.Duration) metav1.ObjectMeta {
	return metav1.ObjectMeta{Name: name, Namespace: "default", CreationTimestamp: ago(created), UID: types.UID("uid-" + name)}
}

func TestEveryKindHasAPrinterWhoseCellsFitItsColumns(t *testing.T) {
	for _, r := range resource.All {
		p, ok := For(r)
		if !ok {
			t.Errorf("%s: no printer", r.Kind)
			continue
		}
		cells, err := p.Cells(r.New(), now)
		if err != nil {
			t.Errorf("%s: %v", r.Kind, err)
			continue
		}
		if len(cells) != len(p.Columns) {
			t.Errorf("%s: %d cells for %d columns", r.Kind, len(cells), len(p.Columns))
		}
		if _, err := p.Cells(&corev1.Pod{}, now); err == nil {
			t.Errorf("%s: a Pod was printed", r.Kind)
		}
	}
}

func TestHeaders(t *testing.T) {
	cases := []struct {
		r          *resource.Info
		wide       bool
		want, desc string
	}{
		{resource.VirtualMachines, false, "NAME AGE STATUS READY", "vm"},
		{resource.VirtualMachines, true, "NAME AGE STATUS READY RUNSTRATEGY", "vm wide"},
		{resource.VirtualMachineInstances, false, "NAME AGE PHASE IP NODENAME READY", "vmi"},
		{resource.Services, false, "NAME TYPE CLUSTER-IP EXTERNAL-IP PORT(S) AGE", "svc"},
		{resource.Endpoints, false, "NAME ENDPOINTS AGE", "ep"},
		{resource.Events, false, "LAST SEEN|TYPE|REASON|OBJECT|MESSAGE", "events"},
	}
	for _, tc := range cases {
		p, _ := For(tc.r)
		sep := " "
		if strings.Contains(tc.want, "|") {
			sep = "|"
		}
		if got := strings.Join(p.Headers(tc.wide), sep); got != tc.want {
			t.Errorf("%s: headers %q, want %q", tc.desc, got, tc.want)
		}
	}
}

func row(t *testing.T, r *resource.Info, obj runtime.Object, wide bool) string {
	t.Helper()
	p, _ := For(r)
	cells, err := p.Row(obj, now, wide)
	if err != nil {
		t.Fatal(err)
	}
	return strings.Join(cells, "|")
}

func TestVMRows(t *testing.T) {
	manual := v1.RunStrategyManual
	yes := true
	cases := []struct {
		name string
		vm   v1.VirtualMachine
		want string
	}{
		{"running and ready", v1.VirtualMachine{ObjectMeta: objMeta("a", 90*time.Second),
			Spec:   v1.VirtualMachineSpec{RunStrategy: &manual},
			Status: v1.VirtualMachineStatus{PrintableStatus: "Running", Ready: true}}, "a|90s|Running|True|Manual"},
		{"no status yet, running: true", v1.VirtualMachine{ObjectMeta: objMeta("b", 3*time.Hour),
			Spec: v1.VirtualMachineSpec{Running: &yes}}, "b|3h|<none>|False|Always"},
		{"controller's strategy wins, no timestamp", v1.VirtualMachine{ObjectMeta: metav1.ObjectMeta{Name: "c"},
			Status: v1.VirtualMachineStatus{PrintableStatus: "CrashLoopBackOff", RunStrategy: "RerunOnFailure"}},
			"c|<unknown>|CrashLoopBackOff|False|RerunOnFailure"},
		{"nothing said: Halted", v1.VirtualMachine{ObjectMeta: objMeta("d", time.Second)}, "d|1s|<none>|False|Halted"},
	}
	for _, tc := range cases {
		if got := row(t, resource.VirtualMachines, &tc.vm, true); got != tc.want {
			t.Errorf("%s: row %q, want %q", tc.name, got, tc.want)
		}
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
	if got, want := row(t, resource.VirtualMachineInstances, &vmi, true), "a|2m|Running|10.0.0.7|host1|True|<none>|2 (reset)|uid-a"; got != want {
		t.Errorf("row %q, want %q", got, want)
	}
	if got, want := row(t, resource.VirtualMachineInstances, &vmi, false), "a|2m|Running|10.0.0.7|host1|True"; got != want {
		t.Errorf("narrow row %q, want %q", got, want)
	}
	pending := v1.VirtualMachineInstance{ObjectMeta: objMeta("b", time.Second),
		Spec: v1.VirtualMachineInstanceSpec{Domain: v1.DomainSpec{Devices: v1.Devices{Watchdog: &v1.Watchdog{Name: "w"}}}},
		Status: v1.VirtualMachineInstanceStatus{Phase: v1.Pending,
			Conditions: []v1.VirtualMachineInstanceCondition{{Type: v1.VirtualMachineInstanceReady, Status: corev1.ConditionFalse}}}}
	if got, want := row(t, resource.VirtualMachineInstances, &pending, true), "b|1s|Pending|<none>|<none>|False|<none>|0|uid-b"; got != want {
		t.Errorf("row %q, want %q", got, want)
	}
}

func TestServiceAndEndpointsRows(t *testing.T) {
	svc := corev1.Service{ObjectMeta: objMeta("web", 48*time.Hour), Spec: corev1.ServiceSpec{
		ClusterIP: "10.96.0.10", Selector: map[string]string{"tier": "fe", "app": "web"},
		Ports: []corev1.ServicePort{{Port: 80}, {Port: 53, NodePort: 30053, Protocol: corev1.ProtocolUDP}},
	}}
	if got, want := row(t, resource.Services, &svc, true), "web|ClusterIP|10.96.0.10|<none>|80/TCP,53:30053/UDP|2d|app=web,tier=fe"; got != want {
		t.Errorf("service row %q, want %q", got, want)
	}
	lb := corev1.Service{ObjectMeta: objMeta("lb", time.Minute), Spec: corev1.ServiceSpec{Type: corev1.ServiceTypeLoadBalancer}}
	if got, want := row(t, resource.Services, &lb, false), "lb|LoadBalancer|<none>|<pending>|<none>|60s"; got != want {
		t.Errorf("load balancer row %q, want %q", got, want)
	}
	ext := corev1.Service{ObjectMeta: objMeta("ext", time.Minute), Spec: corev1.ServiceSpec{Type: corev1.ServiceTypeExternalName, ExternalName: "db.example"}}
	if got := row(t, resource.Services, &ext, false); !strings.Contains(got, "|db.example|") {
		t.Errorf("external name row %q", got)
	}
	ep := corev1.Endpoints{ObjectMeta: objMeta("web", time.Minute), Subsets: []corev1.EndpointSubset{{
		Addresses: []corev1.EndpointAddress{{IP: "10.0.0.2"}, {IP: "10.0.0.3"}},
		Ports:     []corev1.EndpointPort{{Port: 80}, {Port: 443}},
	}}}
	if got, want := row(t, resource.Endpoints, &ep, false), "web|10.0.0.2:80,10.0.0.2:443,10.0.0.3:80 + 1 more...|60s"; got != want {
		t.Errorf("endpoints %q, want %q", got, want)
	}
	if got, want := row(t, resource.Endpoints, &corev1.Endpoints{ObjectMeta: objMeta("none", time.Minute)}, false), "none|<none>|60s"; got != want {
		t.Errorf("no endpoints: %q, want %q", got, want)
	}
}

func TestEventRows(t *testing.T) {
	ev := corev1.Event{ObjectMeta: objMeta("a.1", time.Hour),
		InvolvedObject: corev1.ObjectReference{Kind: "VirtualMachineInstance", Name: "a"},
		Type:           "Warning", Reason: "Unhealthy", Message: "Readiness probe failed: HTTP probe failed with statuscode: 500\n",
		Count: 3, FirstTimestamp: ago(10 * time.Minute), LastTimestamp: ago(30 * time.Second),
		Source: corev1.EventSource{Component: "vigil-node", Host: "host1"}}
	want := "30s (x3 over 10m)|Warning|Unhealthy|virtualmachineinstance/a|" +
		"Readiness probe failed: HTTP probe failed with statuscode: 500|vigil-node, host1|10m|3|a.1"
	if got := row(t, resource.Events, &ev, true); got != want {
		t.Errorf("row %q\nwant %q", got, want)
	}
	once := corev1.Event{EventTime: metav1.NewMicroTime(now.Add(-5 * time.Second)), Type: "Normal", Reason: "Started", ReportingController: "vigil"}
	if got, want := row(t, resource.Events, &once, true), "5s|Normal|Started|/||vigil|5s|1|"; got != want {
		t.Errorf("eventTime only: %q, want %q", got, want)
	}
	evs := []runtime.Object{
		&corev1.Event{ObjectMeta: metav1.ObjectMeta{Name: "late"}, LastTimestamp: ago(time.Second)},
		&corev1.Event{ObjectMeta: metav1.ObjectMeta{Name: "early"}, LastTimestamp: ago(time.Hour)},
	}
	SortEventsByLastSeen(evs)
	if evs[0].(*corev1.Event).Name != "early" {
		t.Errorf("events not oldest first")
	}
}
