package qemu

import (
	"fmt"
	"path/filepath"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	"k8s.io/apimachinery/pkg/util/validation/field"

	v1 "vigil.dev/vigil/api/v1"
)

// Resolved is what the node prepared for a VMI before it can start: files,
// taps and the accelerator. SpecFromVMI looks nothing up itself.
type Resolved struct {
	// RunDir is the VMI's private run directory (absolute; Launch creates it).
	RunDir string
	// Accel is AccelKVM or AccelTCG, as DetectAccel decided.
	Accel string
	// TBSizeMiB overrides TBSizeFor under TCG; 0 keeps the default.
	TBSizeMiB int
	// Kernel and Initrd are the files of spec.domain.firmware.kernelBoot,
	// taken from its container image. Initrd may be empty.
	Kernel, Initrd string
	// Volumes maps a volume name to the file the guest gets for it: the
	// copy-on-write overlay of a containerDisk, the cloud-init ISO, the
	// host disk. Every volume of the VMI needs one.
	Volumes map[string]Volume
	// Taps maps an interface name to the tap device created for it.
	Taps map[string]string
	// MACs maps an interface name to the MAC the node chose for it, for
	// interfaces without spec macAddress. Without either, the MAC is
	// derived from the VMI UID and the interface name (DerivedMAC).
	MACs map[string]string
	// DisableSandbox leaves out QEMU's seccomp filter, for QEMU builds
	// without seccomp support.
	DisableSandbox bool
}

// Volume is a prepared volume file.
type Volume struct {
	Path string
	// Format is FormatRaw or FormatQCOW2; empty means raw.
	Format string
}

// SpecFromVMI maps a VMI (defaults applied) and what the node prepared for
// it to a LaunchSpec. Every problem found is reported, each naming its
// field path (spec.domain.memory.guest, spec.volumes[1], ...).
func SpecFromVMI(vmi *v1.VirtualMachineInstance, r Resolved) (*LaunchSpec, error) {
	if vmi == nil {
		return nil, fmt.Errorf("vmi: required")
	}
	if err := r.validate(); err != nil {
		return nil, fmt.Errorf("vmi %s/%s: %w", vmi.Namespace, vmi.Name, err)
	}
	spec := &LaunchSpec{
		UID:           vmi.UID,
		Namespace:     vmi.Namespace,
		Name:          vmi.Name,
		MachineType:   DefaultMachineType,
		Accel:         r.Accel,
		TBSizeMiB:     r.TBSizeMiB,
		RunDir:        r.RunDir,
		Sandbox:       !r.DisableSandbox,
		SerialConsole: true,
	}
	var errs field.ErrorList
	if vmi.UID == "" {
		errs = append(errs, field.Required(field.NewPath("metadata", "uid"), "a VMI is launched only once it has a uid"))
	}
	specPath := field.NewPath("spec")
	errs = append(errs, mapDomain(&vmi.Spec.Domain, r, spec, specPath.Child("domain"))...)
	errs = append(errs, mapDisks(vmi, r, spec)...)
	errs = append(errs, mapNICs(vmi, r, spec)...)
	if ss := vmi.Spec.StartStrategy; ss != nil && *ss == v1.StartStrategyPaused {
		spec.Paused = true
	}
	if len(errs) > 0 {
		return nil, fmt.Errorf("vmi %s/%s: %w", vmi.Namespace, vmi.Name, errs.ToAggregate())
	}
	if err := spec.Validate(); err != nil {
		return nil, err
	}
	return spec, nil
}

func (r Resolved) validate() error {
	switch {
	case !filepath.IsAbs(r.RunDir):
		return fmt.Errorf("run directory %q: must be an absolute path", r.RunDir)
	case r.Accel != AccelKVM && r.Accel != AccelTCG:
		return fmt.Errorf("accelerator %q: must be %s or %s", r.Accel, AccelKVM, AccelTCG)
	}
	return nil
}

func mapDomain(d *v1.DomainSpec, r Resolved, spec *LaunchSpec, p *field.Path) field.ErrorList {
	var errs field.ErrorList
	spec.CPU, errs = cpuTopology(d, p)
	mem, err := memoryMiB(d, p)
	if err != nil {
		errs = append(errs, err)
	}
	spec.MemoryMiB = mem
	if m := d.Machine; m != nil && m.Type != "" {
		if !isQ35(m.Type) {
			errs = append(errs, field.Invalid(p.Child("machine", "type"), m.Type,
				"only q35 machines are supported (q35 or pc-q35-X.Y)"))
		}
		spec.MachineType = m.Type
	}
	errs = append(errs, mapFirmware(d.Firmware, r, spec, p.Child("firmware"))...)
	if d.Devices.AutoattachSerialConsole != nil {
		spec.SerialConsole = *d.Devices.AutoattachSerialConsole
	}
	if w := d.Devices.Watchdog; w != nil {
		wp := p.Child("devices", "watchdog")
		if w.I6300ESB == nil {
			errs = append(errs, field.Required(wp.Child("i6300esb"), "the only watchdog device there is"))
		} else {
			action := w.I6300ESB.Action
			if action == "" {
				action = v1.DefaultWatchdogAction
			}
			spec.Watchdog = &Watchdog{Name: w.Name, Action: action}
		}
	}
	return errs
}

// cpuTopology takes spec.domain.cpu as given (a zero member counts as 1);
// without it, KubeVirt's rule: as many cores as the cpu limit, else the
// cpu request, rounded up; else one.
func cpuTopology(d *v1.DomainSpec, p *field.Path) (CPUTopology, field.ErrorList) {
	one := func(v uint32) uint32 { return max(v, 1) }
	if c := d.CPU; c != nil && (c.Cores != 0 || c.Sockets != 0 || c.Threads != 0) {
		return CPUTopology{Cores: one(c.Cores), Sockets: one(c.Sockets), Threads: one(c.Threads)}, nil
	}
	resPath := p.Child("resources")
	for _, src := range []struct {
		list corev1.ResourceList
		path *field.Path
	}{
		{d.Resources.Limits, resPath.Child("limits", "cpu")},
		{d.Resources.Requests, resPath.Child("requests", "cpu")},
	} {
		q, ok := src.list[corev1.ResourceCPU]
		if !ok {
			continue
		}
		milli := q.MilliValue()
		if milli <= 0 || milli > 512*1000 {
			return CPUTopology{1, 1, 1}, field.ErrorList{field.Invalid(src.path, q.String(), "must be between 1m and 512")}
		}
		return CPUTopology{Cores: uint32((milli + 999) / 1000), Sockets: 1, Threads: 1}, nil
	}
	return CPUTopology{1, 1, 1}, nil
}

// memoryMiB is spec.domain.memory.guest, else resources.requests.memory,
// rounded up to whole MiB (QEMU's -m unit).
func memoryMiB(d *v1.DomainSpec, p *field.Path) (int64, *field.Error) {
	var q resource.Quantity
	var qPath *field.Path
	switch req, ok := d.Resources.Requests[corev1.ResourceMemory]; {
	case d.Memory != nil && d.Memory.Guest != nil:
		q, qPath = *d.Memory.Guest, p.Child("memory", "guest")
	case ok:
		q, qPath = req, p.Child("resources", "requests", "memory")
	default:
		return 0, field.Required(p.Child("memory", "guest"),
			"the guest's memory (or spec.domain.resources.requests.memory)")
	}
	const mib = 1 << 20
	bytes := q.Value()
	if bytes < v1.MinGuestMemory.Value() {
		return 0, field.Invalid(qPath, q.String(), "must be at least "+v1.MinGuestMemory.String())
	}
	return (bytes + mib - 1) / mib, nil
}

func mapFirmware(fw *v1.Firmware, r Resolved, spec *LaunchSpec, p *field.Path) field.ErrorList {
	if fw == nil || fw.KernelBoot == nil {
		if r.Kernel != "" {
			return field.ErrorList{field.Invalid(p.Child("kernelBoot"), nil,
				"the node prepared a kernel, but the VMI asks for no kernel boot")}
		}
		if fw != nil {
			spec.FirmwareUUID, spec.FirmwareSerial = string(fw.UUID), fw.Serial
		}
		return firmwareUUIDErrors(fw, p)
	}
	spec.FirmwareUUID, spec.FirmwareSerial = string(fw.UUID), fw.Serial
	errs := firmwareUUIDErrors(fw, p)
	kb := p.Child("kernelBoot")
	if r.Kernel == "" {
		return append(errs, field.Required(kb.Child("container", "kernelPath"),
			"no kernel file was prepared on the node for this kernel boot"))
	}
	for _, f := range []struct{ path, name string }{{r.Kernel, "kernelPath"}, {r.Initrd, "initrdPath"}} {
		if f.path != "" && !filepath.IsAbs(f.path) {
			errs = append(errs, field.Invalid(kb.Child("container", f.name), f.path,
				"the node prepared a relative path; it must be absolute"))
		}
	}
	spec.Kernel, spec.Initrd, spec.KernelArgs = r.Kernel, r.Initrd, fw.KernelBoot.KernelArgs
	return errs
}

func firmwareUUIDErrors(fw *v1.Firmware, p *field.Path) field.ErrorList {
	if fw == nil || fw.UUID == "" || uuidPattern.MatchString(string(fw.UUID)) {
		return nil
	}
	return field.ErrorList{field.Invalid(p.Child("uuid"), string(fw.UUID), "must be a UUID")}
}
