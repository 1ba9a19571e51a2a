package endpoints

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/intstr"

	v1 "vigil.dev/vigil/api/v1"
)

// vmiOpt changes a test VMI.
type vmiOpt func(*v1.VirtualMachineInstance)

// testVMI is a Running, Ready VMI labelled app=web with an address.
func testVMI(name, ip string, opts ...vmiOpt) *v1.VirtualMachineInstance {
	vmi := &v1.VirtualMachineInstance{
		ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Name: name, UID: types.UID("uid-" + name),
			Labels: map[string]string{"app": "web", "vm.kubevirt.io/name": name}},
		Status: v1.VirtualMachineInstanceStatus{
			Phase: v1.Running, NodeName: "node1",
			Conditions: []v1.VirtualMachineInstanceCondition{{Type: v1.VirtualMachineInstanceReady, Status: corev1.ConditionTrue}},
		},
	}
	if ip != "" {
		vmi.Status.Interfaces = []v1.VirtualMachineInstanceNetworkInterface{{IP: ip, Name: "default"}}
	}
	for _, o := range opts {
		o(vmi)
	}
	return vmi
}

func notReady(vmi *v1.VirtualMachineInstance) {
	vmi.Status.Conditions[0].Status = corev1.ConditionFalse
}

func phase(p v1.VirtualMachineInstancePhase) vmiOpt {
	return func(vmi *v1.VirtualMachineInstance) { vmi.Status.Phase = p }
}

func deleting(vmi *v1.VirtualMachineInstance) {
	now := metav1.NewTime(time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC))
	vmi.DeletionTimestamp = &now
}

func guestPorts(ports ...v1.Port) vmiOpt {
	return func(vmi *v1.VirtualMachineInstance) {
		vmi.Spec.Domain.Devices.Interfaces = []v1.Interface{{Name: "default", Ports: ports}}
	}
}

func testService(ports ...corev1.ServicePort) *corev1.Service {
	return &corev1.Service{
		ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Name: "web", Labels: map[string]string{"tier": "front"}},
		Spec:       corev1.ServiceSpec{Selector: map[string]string{"app": "web"}, ClusterIP: "10.96.0.10", Ports: ports},
	}
}

func port(name string, p int32, target intstr.IntOrString) corev1.ServicePort {
	return corev1.ServicePort{Name: name, Port: p, TargetPort: target, Protocol: corev1.ProtocolTCP}
}

func TestReady(t *testing.T) {
	noCondition := func(vmi *v1.VirtualMachineInstance) { vmi.Status.Conditions = nil }
	for _, tc := range []struct {
		name string
		vmi  *v1.VirtualMachineInstance
		want bool
	}{
		{"ready and running", testVMI("a", "10.89.0.5"), true},
		{"ready condition false", testVMI("a", "10.89.0.5", notReady), false},
		{"no ready condition", testVMI("a", "10.89.0.5", noCondition), false},
		{"scheduled, not running", testVMI("a", "10.89.0.5", phase(v1.Scheduled)), false},
		{"being deleted", testVMI("a", "10.89.0.5", deleting), false},
	} {
		if got := Ready(tc.vmi); got != tc.want {
			t.Errorf("%s: Ready = %v, want %v", tc.name, got, tc.want)
		}
	}
}

func TestResolvePort(t *testing.T) {
	vmi := testVMI("a", "10.89.0.5", guestPorts(
		v1.Port{Name: "http", Port: 8080},
		v1.Port{Name: "dns", Port: 53, Protocol: "UDP"},
	))
	for _, tc := range []struct {
		name    string
		port    corev1.ServicePort
		want    int32
		wantErr string
	}{
		{"number", port("", 80, intstr.FromInt32(9000)), 9000, ""},
		{"unset target is the port", port("", 80, intstr.IntOrString{}), 80, ""},
		{"name, protocol defaults to TCP", port("", 80, intstr.FromString("http")), 8080, ""},
		{"name with udp", corev1.ServicePort{Port: 53, TargetPort: intstr.FromString("dns"), Protocol: corev1.ProtocolUDP}, 53, ""},
		{"name of another protocol", corev1.ServicePort{Port: 53, TargetPort: intstr.FromString("dns"), Protocol: corev1.ProtocolTCP}, 0,
			`no TCP port named "dns" in spec.domain.devices.interfaces[].ports`},
		{"unknown name", port("", 80, intstr.FromString("metrics")), 0, `virtualmachineinstance ns/a has no TCP port named "metrics"`},
	} {
		got, err := ResolvePort(tc.port, vmi)
		switch {
		case tc.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tc.wantErr)):
			t.Errorf("%s: err %v, want one containing %q", tc.name, err, tc.wantErr)
		case tc.wantErr == "" && (err != nil || got != tc.want):
			t.Errorf("%s: got %d, %v; want %d", tc.name, got, err, tc.want)
		}
	}
}

// compact renders subsets as "ready=[ip/name ...] notReady=[...] ports=[name:port/proto ...]".
func compact(ep *corev1.Endpoints) []string {
	var out []string
	addrs := func(as []corev1.EndpointAddress) string {
		var s []string
		for _, a := range as {
			s = append(s, a.IP+"/"+a.TargetRef.Name)
		}
		return "[" + strings.Join(s, " ") + "]"
	}
	for _, ss := range ep.Subsets {
		var ps []string
		for _, p := range ss.Ports {
			ps = append(ps, p.Name+":"+itoa(p.Port)+"/"+string(p.Protocol))
		}
		out = append(out, "ready="+addrs(ss.Addresses)+" notReady="+addrs(ss.NotReadyAddresses)+" ports=["+strings.Join(ps, " ")+"]")
	}
	return out
}

func itoa(i int32) string { b, _ := json.Marshal(i); return string(b) }

func TestDerive(t *testing.T) {
	other := func(vmi *v1.VirtualMachineInstance) { vmi.Labels = map[string]string{"app": "db"} }
	otherNS := func(vmi *v1.VirtualMachineInstance) { vmi.Namespace = "elsewhere" }
	named := port("http", 80, intstr.FromString("http"))
	for _, tc := range []struct {
		name string
		svc  *corev1.Service
		vmis []*v1.VirtualMachineInstance
		want []string
	}{
		{
			name: "ready and unready, sorted by address whatever the input order",
			svc:  testService(port("", 80, intstr.FromInt32(8080))),
			vmis: []*v1.VirtualMachineInstance{
				testVMI("c", "10.89.0.12"), testVMI("b", "10.89.0.9", notReady), testVMI("a", "10.89.0.10"),
			},
			want: []string{"ready=[10.89.0.10/a 10.89.0.12/c] notReady=[10.89.0.9/b] ports=[:8080/TCP]"},
		},
		{
			name: "not selected, other namespace, no address, ended: left out",
			svc:  testService(port("", 80, intstr.FromInt32(8080))),
			vmis: []*v1.VirtualMachineInstance{
				testVMI("a", "10.89.0.5", other), testVMI("b", "10.89.0.6", otherNS), testVMI("c", ""),
				testVMI("d", "10.89.0.7", phase(v1.Failed)), testVMI("e", "not-an-ip"), testVMI("f", "10.89.0.8"),
			},
			want: []string{"ready=[10.89.0.8/f] notReady=[] ports=[:8080/TCP]"},
		},
		{
			name: "starting and deleting VMIs are not ready",
			svc:  testService(port("", 80, intstr.FromInt32(8080))),
			vmis: []*v1.VirtualMachineInstance{testVMI("a", "10.89.0.5", phase(v1.Scheduled)), testVMI("b", "10.89.0.6", deleting)},
			want: []string{"ready=[] notReady=[10.89.0.5/a 10.89.0.6/b] ports=[:8080/TCP]"},
		},
		{
			name: "a named port resolving differently splits the subsets; unresolvable VMIs are left out",
			svc:  testService(named),
			vmis: []*v1.VirtualMachineInstance{
				testVMI("a", "10.89.0.5", guestPorts(v1.Port{Name: "http", Port: 8080})),
				testVMI("b", "10.89.0.6", guestPorts(v1.Port{Name: "http", Port: 9090})),
				testVMI("c", "10.89.0.7", guestPorts(v1.Port{Name: "http", Port: 8080}), notReady),
				testVMI("d", "10.89.0.8"),
			},
			want: []string{
				"ready=[10.89.0.5/a] notReady=[10.89.0.7/c] ports=[http:8080/TCP]",
				"ready=[10.89.0.6/b] notReady=[] ports=[http:9090/TCP]",
			},
		},
		{
			name: "a VMI serving only some ports gets a subset of its own",
			svc:  testService(named, port("ssh", 22, intstr.FromInt32(22))),
			vmis: []*v1.VirtualMachineInstance{
				testVMI("a", "10.89.0.5", guestPorts(v1.Port{Name: "http", Port: 8080})),
				testVMI("b", "10.89.0.6"),
			},
			want: []string{
				"ready=[10.89.0.5/a] notReady=[] ports=[http:8080/TCP ssh:22/TCP]",
				"ready=[10.89.0.6/b] notReady=[] ports=[ssh:22/TCP]",
			},
		},
		{
			name: "a service without ports lists addresses only",
			svc:  testService(),
			vmis: []*v1.VirtualMachineInstance{testVMI("a", "10.89.0.5")},
			want: []string{"ready=[10.89.0.5/a] notReady=[] ports=[]"},
		},
		{
			name: "nothing selected: no subsets",
			svc:  testService(port("", 80, intstr.FromInt32(8080))),
			vmis: []*v1.VirtualMachineInstance{testVMI("a", "10.89.0.5", other)},
			want: nil,
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := compact(Derive(tc.svc, tc.vmis))
			if strings.Join(got, "\n") != strings.Join(tc.want, "\n") {
				t.Fatalf("got\n  %s\nwant\n  %s", strings.Join(got, "\n  "), strings.Join(tc.want, "\n  "))
			}
		})
	}
}

func TestDeriveMetadataAndReferences(t *testing.T) {
	svc := testService(port("", 80, intstr.FromInt32(8080)))
	ep := Derive(svc, []*v1.VirtualMachineInstance{testVMI("a", "10.89.0.5")})
	if ep.Name != "web" || ep.Namespace != "ns" || ep.Kind != "Endpoints" || ep.APIVersion != "v1" {
		t.Fatalf("identity %s/%s %s %s", ep.Namespace, ep.Name, ep.APIVersion, ep.Kind)
	}
	if ep.Labels["tier"] != "front" || ep.Labels[ManagedByLabel] != ManagedByValue {
		t.Fatalf("labels %v: want the service's plus %s", ep.Labels, ManagedByLabel)
	}
	if _, ok := ep.Labels[HeadlessLabel]; ok {
		t.Fatalf("a service with a cluster IP is labelled headless")
	}
	a := ep.Subsets[0].Addresses[0]
	ref := a.TargetRef
	if ref.Kind != "VirtualMachineInstance" || ref.Name != "a" || ref.Namespace != "ns" || ref.UID != "uid-a" {
		t.Fatalf("targetRef %+v", ref)
	}
	if a.NodeName == nil || *a.NodeName != "node1" {
		t.Fatalf("nodeName %v", a.NodeName)
	}
	if svc.Labels[ManagedByLabel] != "" {
		t.Fatal("Derive changed the service's labels")
	}
	svc.Spec.ClusterIP = corev1.ClusterIPNone
	if _, ok := Derive(svc, nil).Labels[HeadlessLabel]; !ok {
		t.Fatal("a headless service's endpoints lack the headless label")
	}
}
