package qemu

import (
	"fmt"
	"slices"
)

// diskArgs attaches each disk as two block nodes (the file, then the
// format on top of it) and a device. Node names are numbered, since QEMU
// caps them at 31 characters and disk names may be longer; device ids
// carry the disk's name for people reading `info qtree` or QMP replies.
// SATA disks take q35's built-in AHCI ports in order; SCSI disks share one
// virtio-scsi controller.
func (s *LaunchSpec) diskArgs(a *argv) {
	if slices.ContainsFunc(s.Disks, func(d Disk) bool { return d.Bus == BusSCSI }) {
		a.add("-device", "virtio-scsi-pci,id=scsi0")
	}
	sataPort := 0
	for i, d := range s.Disks {
		fileNode, formatNode := fmt.Sprintf("file%d", i), fmt.Sprintf("drive%d", i)
		ro := onOff(d.ReadOnly)
		a.add("-blockdev", fmt.Sprintf("driver=file,filename=%s,node-name=%s,read-only=%s",
			optEscape(d.Path), fileNode, ro))
		a.add("-blockdev", fmt.Sprintf("driver=%s,file=%s,node-name=%s,read-only=%s",
			d.Format, fileNode, formatNode, ro))
		dev := diskDevice(d, &sataPort) + ",drive=" + formatNode + ",id=disk-" + d.Name
		if d.Serial != "" {
			dev += ",serial=" + optEscape(d.Serial)
		}
		if d.BootIndex > 0 {
			dev += fmt.Sprintf(",bootindex=%d", d.BootIndex)
		}
		a.add("-device", dev)
	}
}

// diskDevice is the device model and bus of a disk.
func diskDevice(d Disk, sataPort *int) string {
	switch d.Bus {
	case BusSATA:
		model := "ide-hd"
		if d.CDROM {
			model = "ide-cd"
		}
		dev := fmt.Sprintf("%s,bus=ide.%d", model, *sataPort)
		*sataPort++
		return dev
	case BusSCSI:
		if d.CDROM {
			return "scsi-cd,bus=scsi0.0"
		}
		return "scsi-hd,bus=scsi0.0"
	default:
		return "virtio-blk-pci"
	}
}

// nicArgs attaches each NIC to its tap. vhost-net (the kernel's virtio-net
// backend) only helps, and is only safe to ask for, with KVM.
func (s *LaunchSpec) nicArgs(a *argv) {
	for i, n := range s.NICs {
		netdev := fmt.Sprintf("netdev%d", i)
		backend := fmt.Sprintf("tap,id=%s,ifname=%s,script=no,downscript=no", netdev, n.Tap)
		if s.Accel == AccelKVM && n.modelOrDefault() == ModelVirtio {
			backend += ",vhost=on"
		}
		a.add("-netdev", backend)
		a.add("-device", fmt.Sprintf("%s,netdev=%s,mac=%s,id=net-%s", nicDevices[n.modelOrDefault()], netdev, n.MAC, n.Name))
	}
}

func onOff(b bool) string {
	if b {
		return "on"
	}
	return "off"
}
