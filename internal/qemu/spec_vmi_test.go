package qemu

import (
	"slices"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	v1 "vigil.dev/vigil/api/v1"
)

// baseVMI is a minimal valid VMI: kernel boot, default memory and network.
func baseVMI() *v1.VirtualMachineInstance {
	vmi := &v1.VirtualMachineInstance{ObjectMeta: metav1.ObjectMeta{Name: "vm", Namespace: "ns", UID: testUID}}
	withKernelBoot(vmi)
	v1.SetDefaultsVirtualMachineInstance(vmi)
	return vmi
}

func baseResolved() Resolved {
	return kernelBootResolved(goldenFiles)
}

func TestSpecFromVMIErrors(t *testing.T) {
	two := uint(2)
	cases := []struct {
		name   string
		change func(vmi *v1.VirtualMachineInstance, r *Resolved)
		want   []string
	}{{
		name: "no memory",
		change: func(vmi *v1.VirtualMachineInstance, _ *Resolved) {
			vmi.Spec.Domain.Memory = nil
		},
		want: []string{"spec.domain.memory.guest: Required value"},
	}, {
		name: "too little memory in requests",
		change: func(vmi *v1.VirtualMachineInstance, _ *Resolved) {
			vmi.Spec.Domain.Memory = nil
			vmi.Spec.Domain.Resources.Requests = corev1.ResourceList{corev1.ResourceMemory: resource.MustParse("8Mi")}
		},
		want: []string{`spec.domain.resources.requests.memory: Invalid value: "8Mi": must be at least 16Mi`},
	}, {
		name: "machine type",
		change: func(vmi *v1.VirtualMachineInstance, _ *Resolved) {
			vmi.Spec.Domain.Machine = &v1.Machine{Type: "pc-i440fx-7.2"}
		},
		want: []string{`spec.domain.machine.type: Invalid value: "pc-i440fx-7.2": only q35 machines are supported`},
	}, {
		name:   "kernel not resolved",
		change: func(_ *v1.VirtualMachineInstance, r *Resolved) { r.Kernel = "" },
		want:   []string{"spec.domain.firmware.kernelBoot.container.kernelPath: Required value: no kernel file was prepared"},
	}, {
		name: "kernel resolved without kernel boot",
		change: func(vmi *v1.VirtualMachineInstance, _ *Resolved) {
			vmi.Spec.Domain.Firmware = nil
		},
		want: []string{"spec.domain.firmware.kernelBoot: Invalid value"},
	}, {
		name: "firmware uuid",
		change: func(vmi *v1.VirtualMachineInstance, _ *Resolved) {
			vmi.Spec.Domain.Firmware.UUID = "not-a-uuid"
		},
		want: []string{`spec.domain.firmware.uuid: Invalid value: "not-a-uuid": must be a UUID`},
	}, {
		name:   "tap not resolved",
		change: func(_ *v1.VirtualMachineInstance, r *Resolved) { r.Taps = nil },
		want:   []string{"spec.domain.devices.interfaces[0]: Required value: no tap device was prepared"},
	}, {
		name: "nic model and mac",
		change: func(vmi *v1.VirtualMachineInstance, _ *Resolved) {
			vmi.Spec.Domain.Devices.Interfaces[0].Model = "ne2k_pci"
			vmi.Spec.Domain.Devices.Interfaces[0].MacAddress = "52:54:00"
		},
		want: []string{
			`spec.domain.devices.interfaces[0].model: Unsupported value: "ne2k_pci"`,
			`spec.domain.devices.interfaces[0].macAddress: Invalid value: "52:54:00"`,
		},
	}, {
		name: "volume not resolved, cdrom on virtio, read-only sata disk, writable cdrom",
		change: func(vmi *v1.VirtualMachineInstance, r *Resolved) {
			no := false
			addDisk(vmi, v1.Disk{Name: "a", DiskDevice: v1.DiskDevice{CDRom: &v1.CDRomTarget{Bus: v1.DiskBusVirtio}}})
			addDisk(vmi, v1.Disk{Name: "b", DiskDevice: v1.DiskDevice{Disk: &v1.DiskTarget{Bus: v1.DiskBusSATA, ReadOnly: true}}})
			addDisk(vmi, v1.Disk{Name: "c", DiskDevice: v1.DiskDevice{CDRom: &v1.CDRomTarget{ReadOnly: &no}}, BootOrder: &two})
			r.Volumes = map[string]Volume{"b": {Path: "/b.img"}, "c": {Path: "/c.iso", Format: "vmdk"}}
		},
		want: []string{
			`spec.domain.devices.disks[0].cdrom.bus: Unsupported value: "virtio"`,
			"spec.volumes[0]: Required value: no file was prepared on the node for this volume",
			"spec.domain.devices.disks[1].disk.readonly: Invalid value: true: QEMU cannot attach a read-only SATA disk",
			"spec.domain.devices.disks[2].cdrom.readonly: Invalid value: false: a CD-ROM is always read-only",
			`spec.volumes[2]: Unsupported value: "vmdk"`,
		},
	}, {
		name: "too many sata disks",
		change: func(vmi *v1.VirtualMachineInstance, r *Resolved) {
			r.Volumes = map[string]Volume{}
			for _, n := range []string{"a", "b", "c", "d", "e", "f", "g"} {
				addDisk(vmi, v1.Disk{Name: n, DiskDevice: v1.DiskDevice{Disk: &v1.DiskTarget{Bus: v1.DiskBusSATA}}})
				r.Volumes[n] = Volume{Path: "/" + n}
			}
		},
		want: []string{"spec.domain.devices.disks: Invalid value: 7 disks on the sata bus, but q35 has only 6 SATA ports"},
	}, {
		name: "no uid",
		change: func(vmi *v1.VirtualMachineInstance, _ *Resolved) {
			vmi.UID = ""
		},
		want: []string{"metadata.uid: Required value"},
	}, {
		name:   "relative run dir",
		change: func(_ *v1.VirtualMachineInstance, r *Resolved) { r.RunDir = "run/x" },
		want:   []string{`vmi ns/vm: run directory "run/x": must be an absolute path`},
	}, {
		name:   "unknown accelerator",
		change: func(_ *v1.VirtualMachineInstance, r *Resolved) { r.Accel = "hvf" },
		want:   []string{`accelerator "hvf": must be kvm or tcg`},
	}}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			vmi, r := baseVMI(), baseResolved()
			c.change(vmi, &r)
			spec, err := SpecFromVMI(vmi, r)
			if err == nil {
				t.Fatalf("no error; spec %+v", spec)
			}
			if !strings.HasPrefix(err.Error(), "vmi ns/vm: ") {
				t.Errorf("error %q does not name the VMI", err)
			}
			for _, w := range c.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error lacks %q:\n%v", w, err)
				}
			}
		})
	}
}

func addDisk(vmi *v1.VirtualMachineInstance, d v1.Disk) {
	vmi.Spec.Domain.Devices.Disks = append(vmi.Spec.Domain.Devices.Disks, d)
	vmi.Spec.Volumes = append(vmi.Spec.Volumes, v1.Volume{Name: d.Name,
		VolumeSource: v1.VolumeSource{HostDisk: &v1.HostDisk{Path: "/" + d.Name, Type: v1.HostDiskExists}}})
}

func TestSpecFromVMIMapping(t *testing.T) {
	vmi, r := baseVMI(), baseResolved()
	vmi.Spec.Domain.Memory = nil
	vmi.Spec.Domain.Resources = v1.ResourceRequirements{
		Requests: corev1.ResourceList{corev1.ResourceMemory: resource.MustParse("100Mi"), corev1.ResourceCPU: resource.MustParse("2")},
	}
	off := false
	vmi.Spec.Domain.Devices.AutoattachSerialConsole = &off
	vmi.Spec.Domain.Devices.Watchdog = &v1.Watchdog{Name: "wd", WatchdogDevice: v1.WatchdogDevice{I6300ESB: &v1.I6300ESBWatchdog{}}}
	addDisk(vmi, v1.Disk{Name: "cd", DiskDevice: v1.DiskDevice{CDRom: &v1.CDRomTarget{}}})
	vmi.Spec.Volumes = append(vmi.Spec.Volumes, v1.Volume{Name: "extra",
		VolumeSource: v1.VolumeSource{EmptyDisk: &v1.EmptyDiskSource{Capacity: resource.MustParse("1Gi")}}})
	r.Volumes = map[string]Volume{"cd": {Path: "/cd.iso"}, "extra": {Path: "/extra.qcow2", Format: FormatQCOW2}}
	r.DisableSandbox = true

	spec, err := SpecFromVMI(vmi, r)
	if err != nil {
		t.Fatal(err)
	}
	if spec.MemoryMiB != 100 || spec.CPU != (CPUTopology{Cores: 2, Sockets: 1, Threads: 1}) {
		t.Errorf("memory %d MiB, cpu %+v; want 100 MiB from requests and 2 cores from the cpu request", spec.MemoryMiB, spec.CPU)
	}
	wantDisks := []Disk{
		{Name: "cd", Path: "/cd.iso", Format: FormatRaw, ReadOnly: true, Bus: BusSATA, CDROM: true},
		{Name: "extra", Path: "/extra.qcow2", Format: FormatQCOW2, Bus: BusVirtio},
	}
	if len(spec.Disks) != 2 || spec.Disks[0] != wantDisks[0] || spec.Disks[1] != wantDisks[1] {
		t.Errorf("disks = %+v, want %+v", spec.Disks, wantDisks)
	}
	if spec.Watchdog == nil || spec.Watchdog.Action != v1.WatchdogActionReset {
		t.Errorf("watchdog = %+v, want the default action reset", spec.Watchdog)
	}
	if spec.SerialConsole || spec.Sandbox || spec.Paused {
		t.Errorf("serial console %t, sandbox %t, paused %t; want all false", spec.SerialConsole, spec.Sandbox, spec.Paused)
	}
	if mac := spec.NICs[0].MAC; mac != DerivedMAC(testUID, "default") || !strings.HasPrefix(mac, "02:") {
		t.Errorf("mac %s, want the derived, locally administered one", mac)
	}
	args := spec.Args(goldenBinary)
	if slices.Contains(args, "-serial") || slices.Contains(args, "-sandbox") {
		t.Errorf("argv has -serial or -sandbox although both are off:\n%q", args)
	}
}

func TestDerivedMAC(t *testing.T) {
	a, b := DerivedMAC(testUID, "default"), DerivedMAC(testUID, "backend")
	if a == b || a != DerivedMAC(testUID, "default") || !macAddress.MatchString(a) {
		t.Errorf("DerivedMAC: %s, %s: want stable, distinct per interface, well formed", a, b)
	}
}

func TestValidateHandBuiltSpec(t *testing.T) {
	valid := func() *LaunchSpec {
		return &LaunchSpec{UID: testUID, Namespace: "ns", Name: "vm", Accel: AccelTCG, MemoryMiB: 128,
			CPU: CPUTopology{1, 1, 1}, RunDir: "/run/vigil/x"}
	}
	if err := valid().Validate(); err != nil {
		t.Fatalf("valid spec: %v", err)
	}
	cases := map[string]func(s *LaunchSpec){
		"uid is not a uuid":     func(s *LaunchSpec) { s.UID = "abc" },
		"socket path too long":  func(s *LaunchSpec) { s.RunDir = "/" + strings.Repeat("d", 100) },
		"zero cores":            func(s *LaunchSpec) { s.CPU.Cores = 0 },
		"initrd without kernel": func(s *LaunchSpec) { s.Initrd = "/i" },
		"tap name too long": func(s *LaunchSpec) {
			s.NICs = []NIC{{Name: "n", Tap: "a-very-long-tap-name", MAC: "02:00:00:00:00:01"}}
		},
		"duplicate disk": func(s *LaunchSpec) {
			d := Disk{Name: "d", Path: "/d", Format: FormatRaw, Bus: BusVirtio}
			s.Disks = []Disk{d, d}
		},
		"watchdog action": func(s *LaunchSpec) { s.Watchdog = &Watchdog{Name: "w", Action: "pause"} },
	}
	for name, change := range cases {
		s := valid()
		change(s)
		err := s.Validate()
		if err == nil || !strings.Contains(err.Error(), "launch spec of vmi ns/vm: ") {
			t.Errorf("%s: error %v, want one naming the vmi", name, err)
		}
	}
}
