package vm

import (
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	v1 "vigil.dev/vigil/api/v1"
	"vigil.dev/vigil/test/e2e/framework"
)

const (
	ns = "default"
	// boot is how long a tiny guest may take to boot under TCG on a busy
	// 2-core machine (about 7 s when idle).
	boot = 3 * time.Minute
)

var daemons atomic.Int32

// startDaemon starts a daemon with the tiny image in the test's private
// namespace, on a bridge and subnet of its own so that tests can run side by side.
func startDaemon(t *testing.T) *framework.Daemon {
	t.Helper()
	n := daemons.Add(1)
	return framework.StartDaemon(t, framework.Options{InTestNetns: true, Tiny: true, Args: []string{
		"--bridge", fmt.Sprintf("vigil%d", n), "--subnet", fmt.Sprintf("10.89.%d.0/24", n),
	}})
}

// vmManifest is a tiny-guest VM serving HTTP on port 1500.
func vmManifest(name, strategy string) []byte {
	return framework.VMSpec{Name: name, Strategy: strategy, UserData: framework.WebServer(200)}.Manifest()
}

// running waits for the VM's VMI (other than `not`) to be Running with an IP
// and the guest agent connected.
func running(t *testing.T, d *framework.Daemon, name, not string) *v1.VirtualMachineInstance {
	t.Helper()
	return d.WaitVMI(ns, name, boot, "Running with an IP and the agent connected", func(vmi *v1.VirtualMachineInstance) bool {
		return string(vmi.UID) != not && vmi.Status.Phase == v1.Running && framework.IP(vmi) != "" &&
			framework.Condition(vmi, v1.VirtualMachineInstanceAgentConnected) == "True"
	})
}

// httpGet asks the guest's server for /healthz, with or without the header.
func httpGet(ip string, header bool) (int, error) {
	req, _ := http.NewRequest("GET", "http://"+net.JoinHostPort(ip, "1500")+"/healthz", nil)
	if header {
		req.Header.Set("Custom-Header", "Awesome")
	}
	c := &http.Client{Timeout: 10 * time.Second}
	resp, err := c.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, resp.Body)
	return resp.StatusCode, nil
}

// waitHTTP waits until the guest's server answers (cloud-init runs after boot).
func waitHTTP(t *testing.T, ip string) {
	t.Helper()
	framework.Eventually(t, time.Minute, "the guest's HTTP server on "+ip+":1500", func() (bool, string) {
		code, err := httpGet(ip, true)
		return err == nil && code == 200, fmt.Sprintf("code %d err %v", code, err)
	})
}

// refused reports whether a TCP connect is refused by the guest itself.
func refused(ip string, port int) error {
	c, err := net.DialTimeout("tcp", net.JoinHostPort(ip, fmt.Sprint(port)), 10*time.Second)
	if err == nil {
		c.Close()
		return fmt.Errorf("connected to %s:%d, where nothing listens", ip, port)
	}
	if !errors.Is(err, syscall.ECONNREFUSED) {
		return fmt.Errorf("want connection refused, got %v", err)
	}
	return nil
}

// guestExec runs a command in the guest with `vigil guest-exec`.
func guestExec(d *framework.Daemon, name string, argv ...string) framework.Result {
	return d.Vigil(nil, append([]string{"guest-exec", name, "--"}, argv...)...)
}

// ended waits for the VMI with this uid to reach a final phase and returns it.
// Under Always the controller may replace it right away; the VMI events tell
// how it ended even then.
func ended(t *testing.T, d *framework.Daemon, name, uid string) *v1.VirtualMachineInstance {
	t.Helper()
	return d.WaitVMI(ns, name, 2*time.Minute, "uid "+uid+" to end", func(vmi *v1.VirtualMachineInstance) bool {
		return string(vmi.UID) != uid || vmi.Status.Phase.IsFinal()
	})
}
