package qemu

import (
	"crypto/sha256"
	"fmt"
	"slices"
	"strings"

	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/validation/field"

	v1 "vigil.dev/vigil/api/v1"
)

// mapDisks turns spec.domain.devices.disks into Disks, in their order,
// then attaches every volume that has no disk as a plain virtio disk, in
// volume order (as KubeVirt does).
func mapDisks(vmi *v1.VirtualMachineInstance, r Resolved, spec *LaunchSpec) field.ErrorList {
	volPath := field.NewPath("spec", "volumes")
	diskPath := field.NewPath("spec", "domain", "devices", "disks")
	volIndex := map[string]int{}
	for i, v := range vmi.Spec.Volumes {
		volIndex[v.Name] = i
	}
	var errs field.ErrorList
	hasDisk := map[string]bool{}
	for i := range vmi.Spec.Domain.Devices.Disks {
		vd := &vmi.Spec.Domain.Devices.Disks[i]
		hasDisk[vd.Name] = true
		j, ok := volIndex[vd.Name]
		if !ok {
			errs = append(errs, field.Invalid(diskPath.Index(i).Child("name"), vd.Name, "must name a volume in spec.volumes"))
			continue
		}
		d, derrs := diskFromAPI(vd, diskPath.Index(i))
		errs = append(errs, derrs...)
		errs = append(errs, resolveVolume(&d, r, volPath.Index(j))...)
		spec.Disks = append(spec.Disks, d)
	}
	for j, v := range vmi.Spec.Volumes {
		if hasDisk[v.Name] {
			continue
		}
		d := Disk{Name: v.Name, Bus: BusVirtio}
		errs = append(errs, resolveVolume(&d, r, volPath.Index(j))...)
		spec.Disks = append(spec.Disks, d)
	}
	if n := countBus(spec.Disks, BusSATA); n > sataPorts {
		errs = append(errs, field.Invalid(diskPath, field.OmitValueType{},
			fmt.Sprintf("%d disks on the sata bus, but q35 has only %d SATA ports", n, sataPorts)))
	}
	return errs
}

func countBus(disks []Disk, bus string) int {
	n := 0
	for _, d := range disks {
		if d.Bus == bus {
			n++
		}
	}
	return n
}

var (
	diskBuses  = []string{BusVirtio, BusSATA, BusSCSI}
	cdromBuses = []string{BusSATA, BusSCSI}
)

// diskFromAPI maps one API disk: a plain disk defaults to virtio, a
// CD-ROM to SATA (KubeVirt's defaults), and a CD-ROM is read-only.
func diskFromAPI(vd *v1.Disk, p *field.Path) (Disk, field.ErrorList) {
	d := Disk{Name: vd.Name, Bus: BusVirtio, Serial: vd.Serial}
	if vd.BootOrder != nil {
		d.BootIndex = int(*vd.BootOrder)
	}
	var errs field.ErrorList
	switch {
	case vd.CDRom != nil:
		cp := p.Child("cdrom")
		d.CDROM, d.ReadOnly, d.Bus = true, true, BusSATA
		if vd.CDRom.Bus != "" {
			d.Bus = string(vd.CDRom.Bus)
		}
		if !slices.Contains(cdromBuses, d.Bus) {
			errs = append(errs, field.NotSupported(cp.Child("bus"), d.Bus, cdromBuses))
		}
		if ro := vd.CDRom.ReadOnly; ro != nil && !*ro {
			errs = append(errs, field.Invalid(cp.Child("readonly"), false, "a CD-ROM is always read-only"))
		}
	case vd.Disk != nil:
		dp := p.Child("disk")
		if vd.Disk.Bus != "" {
			d.Bus = string(vd.Disk.Bus)
		}
		d.ReadOnly = vd.Disk.ReadOnly
		if !slices.Contains(diskBuses, d.Bus) {
			errs = append(errs, field.NotSupported(dp.Child("bus"), d.Bus, diskBuses))
		}
		if d.ReadOnly && d.Bus == BusSATA {
			errs = append(errs, field.Invalid(dp.Child("readonly"), true,
				"QEMU cannot attach a read-only SATA disk; use bus virtio or scsi"))
		}
	}
	if strings.ContainsAny(d.Serial, "\n\t") {
		errs = append(errs, field.Invalid(p.Child("serial"), d.Serial, "must not contain control characters"))
	}
	return d, errs
}

func resolveVolume(d *Disk, r Resolved, p *field.Path) field.ErrorList {
	vol, ok := r.Volumes[d.Name]
	if !ok || vol.Path == "" {
		return field.ErrorList{field.Required(p, "no file was prepared on the node for this volume")}
	}
	d.Path, d.Format = vol.Path, vol.Format
	if d.Format == "" {
		d.Format = FormatRaw
	}
	var errs field.ErrorList
	if d.Format != FormatRaw && d.Format != FormatQCOW2 {
		errs = append(errs, field.NotSupported(p, d.Format, []string{FormatRaw, FormatQCOW2}))
	}
	if !strings.HasPrefix(d.Path, "/") {
		errs = append(errs, field.Invalid(p, d.Path, "the node prepared a relative path; it must be absolute"))
	}
	return errs
}

var nicModels = []string{ModelVirtio, ModelE1000, ModelE1000E, ModelRTL8139}

// mapNICs turns spec.domain.devices.interfaces into NICs, in their order.
func mapNICs(vmi *v1.VirtualMachineInstance, r Resolved, spec *LaunchSpec) field.ErrorList {
	ifPath := field.NewPath("spec", "domain", "devices", "interfaces")
	var errs field.ErrorList
	for i, iface := range vmi.Spec.Domain.Devices.Interfaces {
		p := ifPath.Index(i)
		n := NIC{Name: iface.Name, Tap: r.Taps[iface.Name], Model: iface.Model}
		if n.Model == "" {
			n.Model = ModelVirtio
		}
		if !slices.Contains(nicModels, n.Model) {
			errs = append(errs, field.NotSupported(p.Child("model"), n.Model, nicModels))
		}
		if n.Tap == "" {
			errs = append(errs, field.Required(p, "no tap device was prepared on the node for this interface"))
		}
		switch {
		case iface.MacAddress != "":
			n.MAC = strings.ToLower(iface.MacAddress)
			if !macAddress.MatchString(n.MAC) {
				errs = append(errs, field.Invalid(p.Child("macAddress"), iface.MacAddress,
					"must be six colon-separated hex bytes"))
			}
		case r.MACs[iface.Name] != "":
			n.MAC = strings.ToLower(r.MACs[iface.Name])
		default:
			n.MAC = DerivedMAC(vmi.UID, iface.Name)
		}
		spec.NICs = append(spec.NICs, n)
	}
	return errs
}

// DerivedMAC is a stable, locally administered unicast MAC for a VMI's
// interface: 02 followed by five bytes of SHA-256(uid/name). The same VMI
// keeps its MAC across QEMU restarts, so DHCP leases stay put.
func DerivedMAC(uid types.UID, iface string) string {
	sum := sha256.Sum256([]byte(string(uid) + "/" + iface))
	return fmt.Sprintf("02:%02x:%02x:%02x:%02x:%02x", sum[0], sum[1], sum[2], sum[3], sum[4])
}
