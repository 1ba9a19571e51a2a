package framework

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	corev1 "k8s.io/api/core/v1"

	v1 "vigil.dev/vigil/api/v1"
)

// VM reads a VirtualMachine through the API (nil when it does not exist).
func (d *Daemon) VM(ns, name string) *v1.VirtualMachine {
	d.t.Helper()
	var vm v1.VirtualMachine
	if !d.getObject(fmt.Sprintf("/apis/kubevirt.io/v1/namespaces/%s/virtualmachines/%s", ns, name), &vm) {
		return nil
	}
	return &vm
}

// VMI reads a VirtualMachineInstance through the API (nil when it does not exist).
func (d *Daemon) VMI(ns, name string) *v1.VirtualMachineInstance {
	d.t.Helper()
	var vmi v1.VirtualMachineInstance
	if !d.getObject(fmt.Sprintf("/apis/kubevirt.io/v1/namespaces/%s/virtualmachineinstances/%s", ns, name), &vmi) {
		return nil
	}
	return &vmi
}

// Events lists the events of a namespace.
func (d *Daemon) Events(ns string) []corev1.Event {
	d.t.Helper()
	var list corev1.EventList
	d.getObject("/api/v1/namespaces/"+ns+"/events", &list)
	return list.Items
}

func (d *Daemon) getObject(path string, into any) bool {
	d.t.Helper()
	code, body, err := d.Get(path)
	if err != nil {
		d.t.Fatalf("GET %s: %v", path, err)
	}
	if code == 404 {
		return false
	}
	if code != 200 {
		d.t.Fatalf("GET %s: %d %s", path, code, body)
	}
	if err := json.Unmarshal([]byte(body), into); err != nil {
		d.t.Fatalf("GET %s: %v", path, err)
	}
	return true
}

// WaitVMI waits until the VMI exists and cond holds, and returns it.
func (d *Daemon) WaitVMI(ns, name string, timeout time.Duration, what string, cond func(*v1.VirtualMachineInstance) bool) *v1.VirtualMachineInstance {
	d.t.Helper()
	var got *v1.VirtualMachineInstance
	Eventually(d.t, timeout, fmt.Sprintf("VMI %s/%s: %s", ns, name, what), func() (bool, string) {
		got = d.VMI(ns, name)
		if got == nil {
			return false, "no VMI"
		}
		return cond(got), DescribeVMI(got)
	})
	return got
}

// DescribeVMI is a one-line summary for failure messages.
func DescribeVMI(vmi *v1.VirtualMachineInstance) string {
	conds := []string{}
	for _, c := range vmi.Status.Conditions {
		conds = append(conds, fmt.Sprintf("%s=%s(%s)", c.Type, c.Status, c.Reason))
	}
	return fmt.Sprintf("uid=%s phase=%s reason=%s message=%q conditions=%v", vmi.UID, vmi.Status.Phase,
		vmi.Status.Reason, vmi.Status.Message, conds)
}

// Condition returns a VMI condition's status ("" when absent).
func Condition(vmi *v1.VirtualMachineInstance, t v1.VirtualMachineInstanceConditionType) corev1.ConditionStatus {
	for _, c := range vmi.Status.Conditions {
		if c.Type == t {
			return c.Status
		}
	}
	return ""
}

// IP is the VMI's first interface address ("" when none yet).
func IP(vmi *v1.VirtualMachineInstance) string {
	if len(vmi.Status.Interfaces) == 0 {
		return ""
	}
	return vmi.Status.Interfaces[0].IP
}

// KillProcessesUsing kills (SIGKILL) every process whose command line
// mentions path, and returns how many it killed.
func KillProcessesUsing(path string) int {
	n := 0
	procs, _ := filepath.Glob("/proc/[0-9]*/cmdline")
	for _, p := range procs {
		b, err := os.ReadFile(p)
		if err != nil || !strings.Contains(string(b), path) {
			continue
		}
		pid, _ := strconv.Atoi(filepath.Base(filepath.Dir(p)))
		if pid != os.Getpid() && syscall.Kill(pid, syscall.SIGKILL) == nil {
			n++
		}
	}
	return n
}

// QEMUPid finds the QEMU process whose command line names the VMI's UID (0 when none).
func QEMUPid(uid string) int {
	procs, _ := filepath.Glob("/proc/[0-9]*/cmdline")
	for _, p := range procs {
		b, err := os.ReadFile(p)
		if err != nil || !strings.Contains(string(b), uid) || !strings.Contains(string(b), "qemu-system") {
			continue
		}
		pid, _ := strconv.Atoi(filepath.Base(filepath.Dir(p)))
		return pid
	}
	return 0
}
