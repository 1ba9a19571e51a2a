package probe

import (
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/intstr"

	v1 "vigil.dev/vigil/api/v1"
	"vigil.dev/vigil/internal/probe/prober"
)

// withPorts gives a VMI an interface with named ports.
func withPorts(v *v1.VirtualMachineInstance, ports ...v1.Port) *v1.VirtualMachineInstance {
	v.Spec.Domain.Devices.Interfaces = []v1.Interface{{Name: "default", Ports: ports}}
	return v
}

func TestResolve(t *testing.T) {
	vm := withPorts(vmi("a", "one", nil, nil), v1.Port{Name: "web", Port: 8080}, v1.Port{Name: "ssh", Port: 22})
	for _, tc := range []struct {
		name    string
		host    string
		ip      string
		port    intstr.IntOrString
		want    prober.Target
		wantErr string
	}{
		{name: "number, VMI IP", ip: "10.0.0.2", port: intstr.FromInt32(80), want: prober.Target{Host: "10.0.0.2", Port: 80}},
		{name: "named port", ip: "10.0.0.2", port: intstr.FromString("web"), want: prober.Target{Host: "10.0.0.2", Port: 8080}},
		{name: "probe host wins", host: "127.0.0.1", ip: "10.0.0.2", port: intstr.FromString("ssh"), want: prober.Target{Host: "127.0.0.1", Port: 22}},
		{name: "unknown name", ip: "10.0.0.2", port: intstr.FromString("db"),
			wantErr: `spec.readinessProbe.tcpSocket.port: named port "db" not found in spec.domain.devices.interfaces[].ports`},
		{name: "bad number", ip: "10.0.0.2", port: intstr.FromInt32(70000),
			wantErr: "spec.readinessProbe.tcpSocket.port: 70000 is not a valid port number"},
		{name: "no address", port: intstr.FromInt32(80),
			wantErr: "spec.readinessProbe.tcpSocket.host: not set and the VMI has no IP address yet"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := resolve(Binding{VMI: vm, Target: Target{IP: tc.ip}}, tc.host, tc.port, "spec.readinessProbe.tcpSocket")
			if tc.wantErr != "" {
				if err == nil || err.Error() != tc.wantErr {
					t.Fatalf("error %v, want %q", err, tc.wantErr)
				}
				return
			}
			if err != nil || got != tc.want {
				t.Fatalf("resolve: %+v, %v; want %+v", got, err, tc.want)
			}
		})
	}
}

func TestBuildErrorsNameTheField(t *testing.T) {
	build := NewBuilder(prober.HTTPOptions{})
	_, err := build(Binding{Kind: Liveness, VMI: vmi("a", "one", nil, nil), Target: Target{IP: "10.0.0.2"},
		Probe: &v1.Probe{Handler: v1.Handler{HTTPGet: &corev1.HTTPGetAction{Port: intstr.FromString("web")}}}})
	if err == nil || !strings.HasPrefix(err.Error(), "spec.livenessProbe.httpGet.port: ") {
		t.Fatalf("error %v, want one about spec.livenessProbe.httpGet.port", err)
	}
	_, err = build(Binding{Kind: Readiness, VMI: vmi("a", "one", nil, nil), Probe: &v1.Probe{}})
	if err == nil || !strings.HasPrefix(err.Error(), "spec.readinessProbe: exactly one of") {
		t.Fatalf("error %v for a probe without handler", err)
	}
}

// TestBuildRealProbers runs the real TCP and HTTP probers the default
// builder makes against listeners on loopback.
func TestBuildRealProbers(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/healthz" {
			w.WriteHeader(http.StatusNotFound)
		}
	}))
	defer srv.Close()
	_, portText, _ := net.SplitHostPort(srv.Listener.Addr().String())
	port, _ := strconv.Atoi(portText)
	vm := withPorts(vmi("a", "one", nil, nil), v1.Port{Name: "web", Port: int32(port)})
	build := NewBuilder(prober.HTTPOptions{})
	for _, tc := range []struct {
		name  string
		probe v1.Probe
		want  prober.Result
	}{
		{"tcp named port", v1.Probe{Handler: v1.Handler{TCPSocket: &corev1.TCPSocketAction{Port: intstr.FromString("web")}}}, prober.Success},
		{"http named port", v1.Probe{Handler: v1.Handler{HTTPGet: &corev1.HTTPGetAction{Port: intstr.FromString("web"), Path: "/healthz"}}}, prober.Success},
		{"http 404", v1.Probe{Handler: v1.Handler{HTTPGet: &corev1.HTTPGetAction{Port: intstr.FromString("web"), Path: "/nope"}}}, prober.Failure},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := Defaulted(&tc.probe)
			pr, err := build(Binding{Kind: Readiness, VMI: vm, Target: Target{IP: "127.0.0.1"}, Probe: &p})
			if err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			if out := pr.Probe(ctx); out.Result != tc.want {
				t.Fatalf("outcome %+v, want %v", out, tc.want)
			}
		})
	}
}

func TestBuildAgentProbersWithoutAgent(t *testing.T) {
	build := NewBuilder(prober.HTTPOptions{})
	p := Defaulted(pingProbe(10, 3))
	pr, err := build(Binding{Kind: Readiness, VMI: vmi("a", "one", nil, nil), Probe: &p})
	if err != nil {
		t.Fatal(err)
	}
	if out := pr.Probe(context.Background()); out.Result != prober.Failure || !strings.Contains(out.Output, "no guest agent channel") {
		t.Fatalf("outcome %+v, want Failure naming the missing agent", out)
	}
}

// TestManagerUnresolvedPortIsInternalError: a probe whose named port does
// not resolve never changes readiness; each period ends in one event.
func TestManagerUnresolvedPortIsInternalError(t *testing.T) {
	h := newHarness(t, func(o *Options) { o.Build = NewBuilder(prober.HTTPOptions{}) })
	p := &v1.Probe{Handler: v1.Handler{TCPSocket: &corev1.TCPSocketAction{Port: intstr.FromString("db")}}}
	h.m.AddVMI(withPorts(vmi("a", "one", p, nil), v1.Port{Name: "web", Port: 80}), Target{IP: "127.0.0.1"}, t0, nil, false)
	h.settle()
	h.advance(10 * sec)
	evs := h.fx.of("Event")
	want := `Readiness probe errored: spec.readinessProbe.tcpSocket.port: named port "db" not found in spec.domain.devices.interfaces[].ports`
	if len(evs) != 2 || evs[0].Reason != ReasonUnhealthy || evs[0].Message != want {
		t.Fatalf("events %+v, want two %q", evs, want)
	}
	if n := len(h.fx.of("SetReady")); n != 0 {
		t.Fatalf("%d SetReady calls for a probe that cannot run", n)
	}
}

// TestManagerRealTCPProbe drives a real TCP prober through the manager:
// a listener on loopback makes the VMI Ready; closing it makes it unready.
func TestManagerRealTCPProbe(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			c.Close()
		}
	}()
	port := ln.Addr().(*net.TCPAddr).Port
	h := newHarness(t, func(o *Options) { o.Build = NewBuilder(prober.HTTPOptions{}) })
	p := &v1.Probe{Handler: v1.Handler{TCPSocket: &corev1.TCPSocketAction{Port: intstr.FromInt32(int32(port))}},
		TimeoutSeconds: 5, FailureThreshold: 1}
	h.m.AddVMI(vmi("a", "one", p, nil), Target{IP: "127.0.0.1"}, t0, nil, false)
	h.settle()
	ln.Close()
	h.advance(10 * sec)
	r := h.fx.of("SetReady")
	if len(r) != 2 || !r[0].Ready || r[1].Ready || !strings.HasPrefix(r[1].Message, "Readiness probe failed: ") {
		t.Fatalf("SetReady %+v, want ready, then unready with the dial error", r)
	}
}
