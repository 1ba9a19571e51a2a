package cli

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	v1 "vigil.dev/vigil/api/v1"
)

func describeVM(d *describer, vm *v1.VirtualMachine, now time.Time) {
	vm = vm.DeepCopy()
	v1.SetDefaultsVirtualMachine(vm) // show probe timing as it is applied
	d.metadata(&vm.ObjectMeta, orDefault(vm.APIVersion, "kubevirt.io/v1"), orDefault(vm.Kind, "VirtualMachine"), now)
	d.line(0, "Run Strategy", string(runStrategy(vm)))
	d.line(0, "Status", orNone(string(vm.Status.PrintableStatus)))
	d.line(0, "Ready", trueFalse(vm.Status.Ready))
	d.line(0, "Created VMI", strconv.FormatBool(vm.Status.Created))
	if sf := vm.Status.StartFailure; sf != nil {
		retry := "<none>"
		if sf.RetryAfterTimestamp != nil {
			retry = timestamp(*sf.RetryAfterTimestamp, now)
		}
		d.line(0, "Failed Starts", fmt.Sprintf("%d (next attempt %s)", sf.ConsecutiveFailCount, retry))
	}
	if vm.Spec.Template == nil {
		d.line(0, "Template", "<none>")
	} else {
		d.section(0, "Template")
		d.mapLines(1, "Labels", vm.Spec.Template.ObjectMeta.Labels)
		describeVMISpec(d, 1, &vm.Spec.Template.Spec)
	}
	conds := make([]condition, 0, len(vm.Status.Conditions))
	for _, c := range vm.Status.Conditions {
		conds = append(conds, condition{string(c.Type), string(c.Status), c.Reason, c.Message, c.LastTransitionTime})
	}
	d.conditions(conds, now)
}

func describeVMI(d *describer, vmi *v1.VirtualMachineInstance, now time.Time) {
	vmi = vmi.DeepCopy()
	v1.SetDefaultsVirtualMachineInstance(vmi)
	d.metadata(&vmi.ObjectMeta, orDefault(vmi.APIVersion, "kubevirt.io/v1"), orDefault(vmi.Kind, "VirtualMachineInstance"), now)
	st := &vmi.Status
	d.line(0, "Phase", orNone(string(st.Phase)))
	if st.Reason != "" || st.Message != "" {
		d.line(0, "Reason", strings.TrimSpace(st.Reason+" "+st.Message))
	}
	d.line(0, "Ready", vmiReady(vmi))
	d.line(0, "Node", orNone(st.NodeName))
	d.line(0, "IP", orNone(vmiIP(vmi)))
	if os := st.GuestOSInfo.PrettyName; os != "" {
		d.line(0, "Guest OS", os)
	}
	if wd := st.Watchdog; wd != nil {
		v := strconv.Itoa(int(wd.Firings))
		if wd.LastFired != nil {
			v += fmt.Sprintf(", last %s at %s", orNone(wd.LastAction), timestamp(*wd.LastFired, now))
		}
		d.line(0, "Watchdog Firings", v)
	}
	d.section(0, "Spec")
	describeVMISpec(d, 1, &vmi.Spec)
	describeProbeStatus(d, st.Probes, now)
	conds := make([]condition, 0, len(st.Conditions))
	for _, c := range st.Conditions {
		conds = append(conds, condition{string(c.Type), string(c.Status), c.Reason, c.Message, c.LastTransitionTime})
	}
	d.conditions(conds, now)
}

// describeVMISpec writes the health checks and the machine of a VMI spec.
func describeVMISpec(d *describer, level int, spec *v1.VirtualMachineInstanceSpec) {
	describeProbe(d, level, "Readiness Probe", spec.ReadinessProbe)
	describeProbe(d, level, "Liveness Probe", spec.LivenessProbe)
	d.line(level, "Watchdog", watchdogText(spec.Domain.Devices.Watchdog))
	if g := spec.TerminationGracePeriodSeconds; g != nil {
		d.line(level, "Termination Grace Period", fmt.Sprintf("%ds", *g))
	}
	if m := spec.Domain.Memory; m != nil && m.Guest != nil {
		d.line(level, "Memory", m.Guest.String())
	}
	d.line(level, "Boot Source", bootSource(spec))
	if len(spec.Volumes) == 0 {
		d.line(level, "Volumes", "<none>")
		return
	}
	d.section(level, "Volumes")
	for _, v := range spec.Volumes {
		d.line(level+1, v.Name, volumeText(v))
	}
}

func describeProbe(d *describer, level int, key string, p *v1.Probe) {
	if p == nil {
		d.line(level, key, "<none>")
		return
	}
	d.line(level, key, probeText(p))
	if p.HTTPGet != nil && len(p.HTTPGet.HTTPHeaders) > 0 {
		hs := make([]string, 0, len(p.HTTPGet.HTTPHeaders))
		for _, h := range p.HTTPGet.HTTPHeaders {
			hs = append(hs, h.Name+": "+h.Value)
		}
		d.line(level+1, "Headers", strings.Join(hs, ", "))
	}
}

// probeText is kubectl's one-line probe summary:
// "http-get http://:1500/healthz delay=120s timeout=10s period=20s #success=3 #failure=3".
func probeText(p *v1.Probe) string {
	timing := fmt.Sprintf("delay=%ds timeout=%ds period=%ds #success=%d #failure=%d",
		p.InitialDelaySeconds, p.TimeoutSeconds, p.PeriodSeconds, p.SuccessThreshold, p.FailureThreshold)
	return probeHandlerText(p) + " " + timing
}

func probeHandlerText(p *v1.Probe) string {
	switch {
	case p.HTTPGet != nil:
		h := p.HTTPGet
		scheme := strings.ToLower(string(h.Scheme))
		if scheme == "" {
			scheme = "http"
		}
		return fmt.Sprintf("http-get %s://%s:%s%s", scheme, h.Host, h.Port.String(), h.Path)
	case p.TCPSocket != nil:
		return fmt.Sprintf("tcp-socket %s:%s", p.TCPSocket.Host, p.TCPSocket.Port.String())
	case p.Exec != nil:
		return fmt.Sprintf("exec %v", p.Exec.Command)
	case p.GuestAgentPing != nil:
		return "guest-agent-ping"
	}
	return "<no handler>"
}

func watchdogText(w *v1.Watchdog) string {
	if w == nil {
		return "<none>"
	}
	if w.I6300ESB == nil {
		return w.Name + " (no device)"
	}
	return fmt.Sprintf("%s (i6300esb, action=%s)", w.Name, orDefault(string(w.I6300ESB.Action), string(v1.DefaultWatchdogAction)))
}

// bootSource names what the VM boots from: a kernel, or its first disk image.
func bootSource(spec *v1.VirtualMachineInstanceSpec) string {
	if fw := spec.Domain.Firmware; fw != nil && fw.KernelBoot != nil {
		kb := fw.KernelBoot
		parts := []string{"kernelBoot"}
		if kb.Container != nil {
			parts = append(parts, "image="+kb.Container.Image)
		}
		if kb.KernelArgs != "" {
			parts = append(parts, fmt.Sprintf("args=%q", kb.KernelArgs))
		}
		return strings.Join(parts, " ")
	}
	for _, v := range spec.Volumes {
		if v.ContainerDisk != nil || v.HostDisk != nil {
			return v.Name + ": " + volumeText(v)
		}
	}
	return "<none>"
}

func volumeText(v v1.Volume) string {
	switch {
	case v.ContainerDisk != nil:
		return "containerDisk image=" + v.ContainerDisk.Image
	case v.HostDisk != nil:
		return fmt.Sprintf("hostDisk path=%s type=%s", v.HostDisk.Path, v.HostDisk.Type)
	case v.CloudInitNoCloud != nil:
		return "cloudInitNoCloud"
	case v.EmptyDisk != nil:
		return "emptyDisk capacity=" + v.EmptyDisk.Capacity.String()
	}
	return "<unknown source>"
}

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}
