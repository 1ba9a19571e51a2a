package node

import (
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"

	v1 "vigil.dev/vigil/api/v1"
	"vigil.dev/vigil/internal/probe"
	"vigil.dev/vigil/internal/probe/prober"
)

func TestProbeStatusOf(t *testing.T) {
	tcp := probe.Defaulted(&v1.Probe{Handler: v1.Handler{TCPSocket: &corev1.TCPSocketAction{Port: intstr.FromInt32(22)}},
		PeriodSeconds: 2, FailureThreshold: 5})
	at := t0.Add(1500 * time.Millisecond)
	got := probeStatusOf(probe.ProbeStatus{Kind: probe.Liveness, Type: probe.TypeTCP, Probe: tcp, Result: prober.Failure,
		LastResult: prober.Unknown, LastOutput: strings.Repeat("é", maxStatusOutput), LastProbeTime: at,
		Run: probe.Run{Result: prober.Failure, Count: 5}, LastTransitionTime: at, OnHold: true, Stopped: true})
	if got.Kind != "Liveness" || got.Handler != "tcpSocket" || got.Result != "Failure" || got.LastResult != "Error" ||
		got.State != probeStateOnHold {
		t.Errorf("names: %+v", got)
	}
	if got.PeriodSeconds != 2 || got.TimeoutSeconds != 1 || got.FailureThreshold != 5 || got.SuccessThreshold != 1 {
		t.Errorf("settings after defaults: %+v", got)
	}
	if len(got.LastOutput) > maxStatusOutput || !strings.HasPrefix(got.LastOutput, "é") || strings.ContainsRune(got.LastOutput, '\uFFFD') {
		t.Errorf("output of %d bytes, cut badly", len(got.LastOutput))
	}
	if !got.LastProbeTime.Time.Equal(t0.Add(time.Second)) || got.Run == nil || got.Run.Count != 5 {
		t.Errorf("times and run: %v %+v", got.LastProbeTime, got.Run)
	}

	fresh := probeStatusOf(probe.ProbeStatus{Kind: probe.Readiness, Type: probe.TypePing, Result: prober.Failure, Suppressed: true})
	if fresh.LastResult != "" || fresh.LastProbeTime != nil || fresh.Run != nil || fresh.LastTransitionTime != nil ||
		fresh.Handler != "guestAgentPing" || fresh.State != probeStateSuppressed {
		t.Errorf("before the first probe: %+v", fresh)
	}
	if probeStatuses(nil) != nil {
		t.Error("no probes must leave status.probes alone (nil)")
	}
}

func TestApplyProbes(t *testing.T) {
	ts := func(s int) *metav1.Time { return wholeSeconds(t0.Add(time.Duration(s) * time.Second)) }
	base := v1.ProbeStatus{Kind: "Readiness", Handler: "httpGet", PeriodSeconds: 10, TimeoutSeconds: 1, SuccessThreshold: 1,
		FailureThreshold: 3, Result: "Failure", LastResult: "Failure", LastOutput: "refused",
		Run: &v1.ProbeRun{Result: "Failure", Count: 1}, LastProbeTime: ts(0), State: probeStateProbing}
	with := func(f func(*v1.ProbeStatus)) []v1.ProbeStatus {
		p := *base.DeepCopy()
		f(&p)
		return []v1.ProbeStatus{p}
	}
	tests := []struct {
		name      string
		stored    []v1.ProbeStatus
		current   []v1.ProbeStatus
		countsDue bool
		want      probesUpdate
	}{
		{"first view", nil, with(func(*v1.ProbeStatus) {}), false, probesUpdate{wrote: true}},
		{"unchanged", with(func(*v1.ProbeStatus) {}), with(func(*v1.ProbeStatus) {}), true, probesUpdate{}},
		{"engine forgot the VMI", with(func(*v1.ProbeStatus) {}), nil, true, probesUpdate{}},
		{"count, not due", with(func(*v1.ProbeStatus) {}), with(func(p *v1.ProbeStatus) { p.Run.Count = 2; p.LastProbeTime = ts(10) }),
			false, probesUpdate{pending: true}},
		{"count, due", with(func(*v1.ProbeStatus) {}), with(func(p *v1.ProbeStatus) { p.Run.Count = 2 }), true, probesUpdate{wrote: true}},
		{"output alone waits", with(func(*v1.ProbeStatus) {}), with(func(p *v1.ProbeStatus) { p.LastOutput = "timeout" }),
			false, probesUpdate{pending: true}},
		{"last result", with(func(*v1.ProbeStatus) {}), with(func(p *v1.ProbeStatus) {
			p.LastResult, p.Run = "Success", &v1.ProbeRun{Result: "Success", Count: 1}
		}), false, probesUpdate{wrote: true}},
		{"published", with(func(*v1.ProbeStatus) {}), with(func(p *v1.ProbeStatus) { p.Result, p.LastTransitionTime = "Success", ts(20) }),
			false, probesUpdate{wrote: true}},
		{"state", with(func(*v1.ProbeStatus) {}), with(func(p *v1.ProbeStatus) { p.State = probeStateStopped }), false, probesUpdate{wrote: true}},
		{"a probe more", with(func(*v1.ProbeStatus) {}), append(with(func(*v1.ProbeStatus) {}), base), false, probesUpdate{wrote: true}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st := v1.VirtualMachineInstanceStatus{Probes: tt.stored}
			got := applyProbes(&st, tt.current, tt.countsDue)
			if got != tt.want {
				t.Fatalf("got %+v, want %+v", got, tt.want)
			}
			if got.wrote && len(st.Probes) != len(tt.current) {
				t.Errorf("wrote %d probes, want %d", len(st.Probes), len(tt.current))
			}
			if !got.wrote && compareProbes(st.Probes, tt.stored) != probesSame {
				t.Error("the status changed without a write")
			}
		})
	}
}
