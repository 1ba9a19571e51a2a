package cli

import (
	"bytes"
	"regexp"
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	v1 "vigil.dev/vigil/api/v1"
)

func TestDescribeShowsTheProbesView(t *testing.T) {
	at := func(ago time.Duration) *metav1.Time { t := metav1.NewTime(fixedNow.Add(-ago)); return &t }
	vmi := &v1.VirtualMachineInstance{ObjectMeta: metav1.ObjectMeta{Name: "a", Namespace: "default"}}
	vmi.Status.Phase = v1.Running
	vmi.Status.Probes = []v1.ProbeStatus{
		{Kind: "Readiness", Handler: "httpGet", PeriodSeconds: 2, TimeoutSeconds: 1, SuccessThreshold: 1, FailureThreshold: 3,
			Result: "Failure", LastResult: "Failure", LastOutput: "HTTP probe failed\nwith statuscode: 500",
			Run: &v1.ProbeRun{Result: "Failure", Count: 42}, LastProbeTime: at(time.Second), LastTransitionTime: at(2 * time.Minute),
			State: "Probing"},
		{Kind: "Liveness", Handler: "guestAgentPing", PeriodSeconds: 10, TimeoutSeconds: 1, SuccessThreshold: 1,
			FailureThreshold: 3, Result: "Success", State: "Suppressed"},
	}
	var out bytes.Buffer
	describe := func() {
		d := newDescriber(&out)
		describeVMI(d, vmi, fixedNow)
		d.flush()
	}
	describe()
	for _, want := range []string{
		`^Probe Status:$`,
		`^  Readiness:\s+Failure since 2m \(httpGet, Probing\)$`,
		`^    Settings:\s+delay=0s timeout=1s period=2s #success=1 #failure=3$`,
		`^    Last Probe:\s+Failure 1s ago: HTTP probe failed with statuscode: 500$`,
		`^    Run:\s+Failure x42$`,
		`^  Liveness:\s+Success \(guestAgentPing, Suppressed\)$`,
		`^    Last Probe:\s+<none>$`,
	} {
		if !regexp.MustCompile("(?m)" + want).MatchString(out.String()) {
			t.Errorf("missing %s in:\n%s", want, out.String())
		}
	}

	vmi.Status.Probes = nil
	out.Reset()
	describe()
	if strings.Contains(out.String(), "Probe Status") {
		t.Error("a VMI without a probes view shows the section")
	}
}
