package services

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"

	v1 "vigil.dev/vigil/api/v1"
	"vigil.dev/vigil/test/e2e/framework"
)

const (
	ns   = "default"
	boot = 4 * time.Minute
)

// backend is a guest that answers its own name over HTTP on port 8080 (the
// traffic port), says its name then echoes on port 9000 (a long-lived
// connection), and serves /healthz on port 1500 for its readiness probe.
func backend(name string) framework.VMSpec {
	health, healthCmd := framework.Healthz(200)
	files := []framework.File{health,
		{Path: "/www/index.html", Content: name},
		{Path: "/usr/local/bin/echoname", Executable: true, Content: "#!/bin/sh\necho " + name + "\nexec cat\n"},
	}
	cmds := []string{healthCmd, "httpd -p 8080 -h /www", "nc -ll -p 9000 -e /usr/local/bin/echoname"}
	return framework.VMSpec{Name: name, Strategy: "Always", Labels: map[string]string{"tier": "web"},
		UserData:  framework.CloudConfig(files, cmds),
		Readiness: "        httpGet:\n          port: 1500\n          path: /healthz\n          httpHeaders:\n          - name: Custom-Header\n            value: Awesome\n        periodSeconds: 4\n        timeoutSeconds: 3\n        failureThreshold: 2\n"}
}

const service = `apiVersion: v1
kind: Service
metadata:
  name: web
spec:
  selector:
    tier: web
  ports:
  - name: http
    port: 80
    targetPort: 8080
  - name: echo
    port: 9000
    targetPort: 9000
`

func TestServiceFollowsReadiness(t *testing.T) {
	d := framework.StartDaemon(t, framework.Options{InTestNetns: true, Tiny: true,
		Args: []string{"--bridge", "vigilsv", "--subnet", "10.89.70.0/24"}})
	for _, name := range []string{"web-a", "web-b"} {
		d.MustVigil(backend(name).Manifest(), "create", "-f", "-")
	}
	d.MustVigil([]byte(service), "create", "-f", "-")
	for _, name := range []string{"web-a", "web-b"} {
		d.WaitVMI(ns, name, boot, "Ready", ready)
	}
	vip := clusterIP(t, d)
	if out := d.MustVigil(nil, "get", "endpoints", "web"); !strings.Contains(out, ":8080") {
		t.Errorf("get endpoints:\n%s", out)
	}

	// Both ready: new connections reach both.
	waitNames(t, vip, "web-a", "web-b")

	// A connection opened now stays open through what follows.
	held := dialHeld(t, vip)
	defer held.conn.Close()
	other := map[string]string{"web-a": "web-b", "web-b": "web-a"}[held.name]

	// Its backend goes unready (its /healthz fails; its traffic port stays
	// open): after the failure threshold no new connection reaches it.
	guest(t, d, held.name, "touch /tmp/unready")
	d.WaitVMI(ns, held.name, time.Minute, "not Ready", func(vmi *v1.VirtualMachineInstance) bool { return !ready(vmi) })
	for i := 0; i < 40; i++ {
		if got := get(t, vip); got != other {
			t.Fatalf("connection %d reached %s, which is not ready", i, got)
		}
	}
	held.check(t, "still open while its backend is unready")

	// Ready again: it receives traffic again.
	guest(t, d, held.name, "rm /tmp/unready")
	d.WaitVMI(ns, held.name, time.Minute, "Ready again", ready)
	waitNames(t, vip, "web-a", "web-b")

	// No ready backend: the service refuses at once, it does not black-hole.
	guest(t, d, "web-a", "touch /tmp/unready")
	guest(t, d, "web-b", "touch /tmp/unready")
	for _, name := range []string{"web-a", "web-b"} {
		d.WaitVMI(ns, name, time.Minute, "not Ready", func(vmi *v1.VirtualMachineInstance) bool { return !ready(vmi) })
	}
	framework.Eventually(t, 10*time.Second, "connections to be refused", func() (bool, string) {
		start := time.Now()
		c, err := net.DialTimeout("tcp", net.JoinHostPort(vip, "80"), 5*time.Second)
		if err == nil {
			c.Close()
			return false, "connected"
		}
		return errors.Is(err, syscall.ECONNREFUSED) && time.Since(start) < time.Second, fmt.Sprintf("%v after %s", err, time.Since(start))
	})
	held.check(t, "still open while no backend is ready")
	guest(t, d, "web-a", "rm /tmp/unready")
	guest(t, d, "web-b", "rm /tmp/unready")
	waitNames(t, vip, "web-a", "web-b")
}

// A VMI being deleted leaves the endpoints before its QEMU ends, and the
// daemon's restart does not interrupt traffic.
func TestServiceDeletionAndDaemonRestart(t *testing.T) {
	d := framework.StartDaemon(t, framework.Options{InTestNetns: true, Tiny: true,
		Args: []string{"--bridge", "vigilsr", "--subnet", "10.89.71.0/24"}})
	for _, name := range []string{"web-a", "web-b"} {
		d.MustVigil(backend(name).Manifest(), "create", "-f", "-")
	}
	d.MustVigil([]byte(service), "create", "-f", "-")
	for _, name := range []string{"web-a", "web-b"} {
		d.WaitVMI(ns, name, boot, "Ready", ready)
	}
	vip := clusterIP(t, d)
	waitNames(t, vip, "web-a", "web-b")

	// Traffic flows throughout a kill -9 and restart of the daemon.
	stop := make(chan struct{})
	var failures []string
	var count int
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for i := 0; i < 2000; i++ { // bounded: at most 2000 connections
			select {
			case <-stop:
				return
			case <-time.After(50 * time.Millisecond):
			}
			count++
			if _, err := tryGet(vip); err != nil {
				failures = append(failures, err.Error())
			}
		}
	}()
	time.Sleep(time.Second)
	d.Kill9()
	time.Sleep(2 * time.Second)
	d.Start()
	time.Sleep(3 * time.Second)
	close(stop)
	wg.Wait()
	if len(failures) > 0 || count < 20 {
		t.Errorf("%d of %d connections failed across the daemon restart: %v", len(failures), count, failures)
	}

	// Deleting web-a: it leaves the endpoints before its QEMU ends.
	a := d.VMI(ns, "web-a")
	ip := framework.IP(a)
	pid := framework.QEMUPid(string(a.UID))
	d.MustVigil(nil, "delete", "vm", "web-a", "--wait=false")
	var leftAt, exitedAt time.Time
	framework.Eventually(t, 2*time.Minute, "web-a to leave the endpoints and its QEMU to end", func() (bool, string) {
		if leftAt.IsZero() && !inEndpoints(t, d, ip) {
			leftAt = time.Now()
		}
		if exitedAt.IsZero() && !alive(pid) {
			exitedAt = time.Now()
		}
		return !leftAt.IsZero() && !exitedAt.IsZero(), fmt.Sprintf("left %v exited %v", leftAt, exitedAt)
	})
	if !leftAt.Before(exitedAt) {
		t.Errorf("web-a left the endpoints at %s, after its QEMU ended at %s", leftAt.Format(time.StampMilli), exitedAt.Format(time.StampMilli))
	}
	for i := 0; i < 20; i++ {
		if got := get(t, vip); got != "web-b" {
			t.Fatalf("after deleting web-a, a connection reached %q", got)
		}
	}
}

func ready(vmi *v1.VirtualMachineInstance) bool {
	return vmi.Status.Phase == v1.Running && framework.Condition(vmi, v1.VirtualMachineInstanceReady) == "True"
}

func clusterIP(t *testing.T, d *framework.Daemon) string {
	t.Helper()
	var svc corev1.Service
	code, body, err := d.Get("/api/v1/namespaces/default/services/web")
	if err != nil || code != 200 {
		t.Fatalf("GET service: %d %v %s", code, err, body)
	}
	if err := jsonUnmarshal(body, &svc); err != nil || svc.Spec.ClusterIP == "" {
		t.Fatalf("service without a cluster IP: %v %s", err, body)
	}
	return svc.Spec.ClusterIP
}

func inEndpoints(t *testing.T, d *framework.Daemon, ip string) bool {
	var ep corev1.Endpoints
	code, body, err := d.Get("/api/v1/namespaces/default/endpoints/web")
	if err != nil || code != 200 || jsonUnmarshal(body, &ep) != nil {
		return true // unknown: not proven gone
	}
	for _, s := range ep.Subsets {
		for _, a := range s.Addresses {
			if a.IP == ip {
				return true
			}
		}
	}
	return false
}

// get fetches / through the service address and returns the backend's name.
func get(t *testing.T, vip string) string {
	t.Helper()
	name, err := tryGet(vip)
	if err != nil {
		t.Fatal(err)
	}
	return name
}

func tryGet(vip string) (string, error) {
	c, err := net.DialTimeout("tcp", net.JoinHostPort(vip, "80"), 5*time.Second)
	if err != nil {
		return "", err
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(10 * time.Second))
	fmt.Fprintf(c, "GET / HTTP/1.0\r\n\r\n")
	b, err := io.ReadAll(c)
	if err != nil {
		return "", err
	}
	s := string(b)
	if i := strings.Index(s, "\r\n\r\n"); i >= 0 {
		return strings.TrimSpace(s[i+4:]), nil
	}
	return "", fmt.Errorf("no HTTP body in %q", s)
}

// waitNames waits until new connections have reached every named backend.
func waitNames(t *testing.T, vip string, names ...string) {
	t.Helper()
	seen := map[string]bool{}
	framework.Eventually(t, time.Minute, "connections to reach "+strings.Join(names, " and "), func() (bool, string) {
		name, err := tryGet(vip)
		if err == nil {
			seen[name] = true
		}
		for _, n := range names {
			if !seen[n] {
				return false, fmt.Sprintf("seen %v, last err %v", seen, err)
			}
		}
		return true, ""
	})
}

type heldConn struct {
	conn net.Conn
	r    *bufio.Reader
	name string
}

// dialHeld opens a long-lived connection to the echo port and learns which
// backend it reached.
func dialHeld(t *testing.T, vip string) *heldConn {
	t.Helper()
	c, err := net.DialTimeout("tcp", net.JoinHostPort(vip, "9000"), 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	h := &heldConn{conn: c, r: bufio.NewReader(c)}
	c.SetReadDeadline(time.Now().Add(10 * time.Second))
	line, err := h.r.ReadString('\n')
	if err != nil {
		t.Fatalf("echo port: %v", err)
	}
	h.name = strings.TrimSpace(line)
	return h
}

// check sends a line on the held connection and expects it back.
func (h *heldConn) check(t *testing.T, when string) {
	t.Helper()
	h.conn.SetDeadline(time.Now().Add(10 * time.Second))
	msg := fmt.Sprintf("ping %d\n", time.Now().UnixNano())
	if _, err := io.WriteString(h.conn, msg); err != nil {
		t.Fatalf("held connection to %s (%s): write: %v", h.name, when, err)
	}
	got, err := h.r.ReadString('\n')
	if err != nil || got != msg {
		t.Fatalf("held connection to %s (%s): read %q, %v", h.name, when, got, err)
	}
}

func guest(t *testing.T, d *framework.Daemon, name, script string) {
	t.Helper()
	if r := d.Vigil(nil, "guest-exec", name, "--", "sh", "-c", script); r.Code != 0 {
		t.Fatalf("guest-exec %s %q: exit %d %s", name, script, r.Code, r.Stderr)
	}
}

func alive(pid int) bool { return pid > 0 && syscall.Kill(pid, 0) == nil }
