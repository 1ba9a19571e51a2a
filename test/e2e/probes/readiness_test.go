package probes

import (
	"sync"

	corev1 "k8s.io/api/core/v1"
	"testing"
	"time"

	"vigil.dev/vigil/test/e2e/framework"
)

// Readiness on real guests, one VM per probe, all booted together:
//   - httpGet with the seed's Custom-Header is Ready, and only because the
//     header arrives: the same probe without it never is (403);
//   - a guest endpoint answering 500 never becomes Ready;
//   - tcpSocket is Ready with a listener, never without one;
//   - exec `true` is Ready; `false` never; `sleep 10` with timeout 1 never;
//   - guestAgentPing is Ready, goes not Ready when the agent stops, and
//     Ready again when it is back.
func TestReadinessProbes(t *testing.T) {
	d := startDaemon(t)
	web := framework.WebServer(200)
	vms := []framework.VMSpec{
		{Name: "http-header", UserData: web, Readiness: probe(httpHeader, 2, 1, 3, 1, 0)},
		{Name: "http-noheader", UserData: web, Readiness: probe(httpNoHdr, 2, 1, 3, 1, 0)},
		{Name: "http-500", UserData: framework.WebServer(500), Readiness: probe(httpHeader, 2, 1, 3, 1, 0)},
		{Name: "tcp-open", UserData: web, Readiness: probe(tcpOpen, 2, 1, 3, 1, 0)},
		{Name: "tcp-closed", UserData: web, Readiness: probe(tcpClosed, 2, 1, 3, 1, 0)},
		{Name: "exec-true", Readiness: probe(execProbe("true"), 2, 1, 3, 1, 0)},
		{Name: "exec-false", Readiness: probe(execProbe("false"), 2, 1, 3, 1, 0)},
		{Name: "exec-sleep", Readiness: probe(execProbe("sleep", "10"), 3, 1, 3, 1, 0)},
		{Name: "agent-ping", Readiness: probe(agentPing, 2, 1, 3, 1, 0)},
	}
	for _, vm := range vms {
		vm.Strategy = "Always"
		d.MustVigil(vm.Manifest(), "create", "-f", "-")
	}

	var wg sync.WaitGroup
	for _, name := range []string{"http-header", "tcp-open", "exec-true", "agent-ping"} {
		wg.Add(1)
		go func() { defer wg.Done(); waitReady(t, d, name, "") }()
	}
	wg.Wait()
	if t.Failed() {
		t.FailNow()
	}
	// The others have had the same time; they must stay unready for 30 s more.
	for _, name := range []string{"http-noheader", "http-500", "tcp-closed", "exec-false", "exec-sleep"} {
		d.WaitVMI(ns, name, boot, "Running", func(vmi *v1VMI) bool { return vmi.Status.Phase == "Running" })
	}
	for _, name := range []string{"http-noheader", "http-500", "tcp-closed", "exec-false", "exec-sleep"} {
		wg.Add(1)
		go func() { defer wg.Done(); neverReady(t, d, name, 30*time.Second) }()
	}
	wg.Wait()
	// The guest's server saw the probes of http-noheader (and refused them).
	if n := hits(t, d, "http-noheader", "/healthz"); n < 3 {
		t.Errorf("http-noheader: the guest saw %d probe requests, want >= 3", n)
	}

	// Failed probes are one Unhealthy event per message, with a count, not
	// an event each (the first failures, while the guest booted, were
	// connection timeouts: another message, another event).
	noHdr := d.VMI(ns, "http-noheader")
	var forbidden []corev1.Event
	for _, e := range d.Events(ns) {
		if e.InvolvedObject.UID == noHdr.UID && e.Reason == "Unhealthy" &&
			e.Message == "Readiness probe failed: HTTP probe failed with statuscode: 403" {
			forbidden = append(forbidden, e)
		}
	}
	if len(forbidden) != 1 || forbidden[0].Count < 3 {
		t.Errorf("Unhealthy 403 events of http-noheader: want one with a count >= 3, got %+v", forbidden)
	}

	// guestAgentPing: stop the agent, see Ready go False, then come back.
	before := d.VMI(ns, "agent-ping")
	guestSh(d, "agent-ping", restartAgent(25))
	waitNotReady(t, d, "agent-ping", time.Minute)
	after := waitReady(t, d, "agent-ping", "")
	if after.UID != before.UID {
		t.Errorf("a readiness failure replaced the VMI (%s -> %s)", before.UID, after.UID)
	}
}
