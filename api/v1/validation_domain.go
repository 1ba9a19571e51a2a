package v1

import (
	"path"
	"slices"
	"strings"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

// Limits of the virtual hardware.
const (
	maxCPUTopology = 512
)

// MinGuestMemory is the least memory a guest may be given: below it no
// Linux kernel boots, and QEMU's own errors would be far less clear.
var MinGuestMemory = resource.MustParse("16Mi")

func validateDomain(d *DomainSpec, path *field.Path) field.ErrorList {
	var errs field.ErrorList
	if cpu := d.CPU; cpu != nil {
		cpuPath := path.Child("cpu")
		errs = append(errs, cpuTopologyInRange(cpuPath.Child("cores"), cpu.Cores)...)
		errs = append(errs, cpuTopologyInRange(cpuPath.Child("sockets"), cpu.Sockets)...)
		errs = append(errs, cpuTopologyInRange(cpuPath.Child("threads"), cpu.Threads)...)
	}
	if d.Memory != nil && d.Memory.Guest != nil {
		errs = append(errs, validateMemory(path.Child("memory", "guest"), *d.Memory.Guest)...)
	}
	if q, ok := d.Resources.Requests[corev1.ResourceMemory]; ok {
		errs = append(errs, validateMemory(path.Child("resources", "requests", "memory"), q)...)
	}
	if d.Firmware != nil && d.Firmware.KernelBoot != nil {
		errs = append(errs, validateKernelBoot(d.Firmware.KernelBoot, path.Child("firmware", "kernelBoot"))...)
	}
	errs = append(errs, validateWatchdog(d.Devices.Watchdog, path.Child("devices", "watchdog"))...)
	return errs
}

func cpuTopologyInRange(p *field.Path, v uint32) field.ErrorList {
	if v <= maxCPUTopology {
		return nil
	}
	return field.ErrorList{field.Invalid(p, int64(v), "must be between 0 and 512, inclusive")}
}

func validateMemory(p *field.Path, q resource.Quantity) field.ErrorList {
	switch {
	case q.Sign() <= 0:
		return field.ErrorList{field.Invalid(p, q.String(), "must be greater than 0")}
	case q.Cmp(MinGuestMemory) < 0:
		return field.ErrorList{field.Invalid(p, q.String(), "must be at least "+MinGuestMemory.String())}
	}
	return nil
}

func validateKernelBoot(kb *KernelBoot, p *field.Path) field.ErrorList {
	cPath := p.Child("container")
	c := kb.Container
	if c == nil {
		return field.ErrorList{field.Required(cPath, "the image that holds the kernel and initrd")}
	}
	var errs field.ErrorList
	if c.Image == "" {
		errs = append(errs, field.Required(cPath.Child("image"), "the image that holds the kernel and initrd"))
	}
	errs = append(errs, absoluteIfSet(cPath.Child("kernelPath"), c.KernelPath)...)
	return append(errs, absoluteIfSet(cPath.Child("initrdPath"), c.InitrdPath)...)
}

func absoluteIfSet(p *field.Path, v string) field.ErrorList {
	if v == "" || path.IsAbs(v) {
		return nil
	}
	return field.ErrorList{field.Invalid(p, v, "must be an absolute path")}
}

var supportedWatchdogActions = []WatchdogAction{WatchdogActionPoweroff, WatchdogActionReset, WatchdogActionShutdown}

// validateWatchdog checks the watchdog device. Its name must be a DNS label
// (vigil differs from KubeVirt, which only requires a name: the name
// becomes the QEMU device id, so placeholders such as `<watchdog>` are
// refused here rather than by QEMU at start).
func validateWatchdog(w *Watchdog, p *field.Path) field.ErrorList {
	if w == nil {
		return nil
	}
	errs := validateDNSLabelName(p.Child("name"), w.Name)
	if w.I6300ESB == nil {
		// The only device model there is; on amd64 KubeVirt allows no other.
		return append(errs, field.Required(p,
			"exactly one watchdog device must be set: i6300esb (amd64 only supports I6300ESB watchdog device)"))
	}
	if a := w.I6300ESB.Action; a != "" && !slices.Contains(supportedWatchdogActions, a) {
		errs = append(errs, field.NotSupported(p.Child("i6300esb", "action"), string(a), supportedWatchdogActions))
	}
	return errs
}

var supportedDiskBuses = []DiskBus{DiskBusVirtio, DiskBusSATA, DiskBusSCSI}

// validateDisks checks the disks: unique names, each naming an existing
// volume (a volume without a disk is fine: the node attaches it as a plain
// disk), at most one device type, a known bus and unique boot orders.
func validateDisks(disks []Disk, volumes []Volume, p, volumesPath *field.Path) field.ErrorList {
	volumeNames := nameSet{}
	for _, v := range volumes {
		if v.Name != "" {
			volumeNames[v.Name] = true
		}
	}
	var errs field.ErrorList
	seen, bootOrders := nameSet{}, map[uint]bool{}
	for i := range disks {
		d := &disks[i]
		dPath := p.Index(i)
		errs = append(errs, validateDiskName(d.Name, dPath.Child("name"), seen, volumeNames, volumesPath)...)
		errs = append(errs, validateDiskDevice(&d.DiskDevice, dPath)...)
		if bo := d.BootOrder; bo != nil {
			if *bo == 0 {
				errs = append(errs, field.Invalid(dPath.Child("bootOrder"), int64(0), "must be greater than 0 if set"))
			} else if bootOrders[*bo] {
				errs = append(errs, field.Duplicate(dPath.Child("bootOrder"), int64(*bo)))
			}
			bootOrders[*bo] = true
		}
	}
	return errs
}

func validateDiskName(name string, p *field.Path, seen, volumeNames nameSet, volumesPath *field.Path) field.ErrorList {
	switch {
	case name == "":
		return field.ErrorList{field.Required(p, "the name of the volume this disk attaches")}
	case seen.duplicate(name):
		return field.ErrorList{field.Duplicate(p, name)}
	case !volumeNames[name]:
		return field.ErrorList{field.Invalid(p, name, "must name a volume in "+volumesPath.String()+
			volumeList(volumeNames))}
	}
	return nil
}

func volumeList(names nameSet) string {
	if len(names) == 0 {
		return ", but there are no volumes"
	}
	return " (volumes: " + strings.Join(names.sortedKeys(), ", ") + ")"
}

func validateDiskDevice(dd *DiskDevice, p *field.Path) field.ErrorList {
	var errs field.ErrorList
	if dd.Disk != nil && dd.CDRom != nil {
		errs = append(errs, field.Invalid(p, field.OmitValueType{}, "may have at most one of disk and cdrom set"))
	}
	if dd.Disk != nil && dd.Disk.Bus != "" && !slices.Contains(supportedDiskBuses, dd.Disk.Bus) {
		errs = append(errs, field.NotSupported(p.Child("disk", "bus"), string(dd.Disk.Bus), supportedDiskBuses))
	}
	if dd.CDRom != nil && dd.CDRom.Bus != "" && !slices.Contains(supportedDiskBuses, dd.CDRom.Bus) {
		errs = append(errs, field.NotSupported(p.Child("cdrom", "bus"), string(dd.CDRom.Bus), supportedDiskBuses))
	}
	return errs
}
