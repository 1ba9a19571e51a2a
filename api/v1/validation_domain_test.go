package v1

import (
	"testing"

	corev1 "k8s.io/api/core/v1"
)

func TestValidateDomain(t *testing.T) {
	runVMISpecCases(t, []specCase{{
		name: "cpu topology in range",
		mutate: func(s *VirtualMachineInstanceSpec) {
			s.Domain.CPU = &CPU{Cores: 512, Sockets: 1, Threads: 0}
		},
	}, {
		name: "cpu topology too large",
		mutate: func(s *VirtualMachineInstanceSpec) {
			s.Domain.CPU = &CPU{Cores: 513, Sockets: 1000, Threads: 600}
		},
		want: []string{
			"spec.domain.cpu.cores: Invalid value: 513: must be between 0 and 512, inclusive",
			"spec.domain.cpu.sockets: Invalid value: 1000: must be between 0 and 512, inclusive",
			"spec.domain.cpu.threads: Invalid value: 600: must be between 0 and 512, inclusive",
		},
	}, {
		name: "memory fine",
		mutate: func(s *VirtualMachineInstanceSpec) {
			s.Domain.Memory = &Memory{Guest: quantity("16Mi")}
			s.Domain.Resources.Requests = corev1.ResourceList{corev1.ResourceMemory: *quantity("1Gi")}
		},
	}, {
		name: "memory zero, negative and too small",
		mutate: func(s *VirtualMachineInstanceSpec) {
			s.Domain.Memory = &Memory{Guest: quantity("0")}
			s.Domain.Resources.Requests = corev1.ResourceList{corev1.ResourceMemory: *quantity("15Mi")}
		},
		want: []string{
			`spec.domain.memory.guest: Invalid value: "0": must be greater than 0`,
			`spec.domain.resources.requests.memory: Invalid value: "15Mi": must be at least 16Mi`,
		},
	}, {
		name: "negative memory",
		mutate: func(s *VirtualMachineInstanceSpec) {
			s.Domain.Memory = &Memory{Guest: quantity("-1Gi")}
		},
		want: []string{`spec.domain.memory.guest: Invalid value: "-1Gi": must be greater than 0`},
	}, {
		name: "kernel boot is a boot source",
		mutate: func(s *VirtualMachineInstanceSpec) {
			s.Volumes = nil
			s.Domain.Firmware = &Firmware{KernelBoot: &KernelBoot{KernelArgs: "console=ttyS0",
				Container: &KernelBootContainer{Image: "tiny", KernelPath: "/boot/vmlinuz", InitrdPath: "/boot/initrd"}}}
		},
	}, {
		name: "kernel boot without container",
		mutate: func(s *VirtualMachineInstanceSpec) {
			s.Domain.Firmware = &Firmware{KernelBoot: &KernelBoot{KernelArgs: "console=ttyS0"}}
		},
		want: []string{"spec.domain.firmware.kernelBoot.container: Required value: the image that holds the kernel and initrd"},
	}, {
		name: "kernel boot container incomplete",
		mutate: func(s *VirtualMachineInstanceSpec) {
			s.Domain.Firmware = &Firmware{KernelBoot: &KernelBoot{
				Container: &KernelBootContainer{KernelPath: "boot/vmlinuz", InitrdPath: "initrd"}}}
		},
		want: []string{
			"spec.domain.firmware.kernelBoot.container.image: Required value: the image that holds the kernel and initrd",
			`spec.domain.firmware.kernelBoot.container.kernelPath: Invalid value: "boot/vmlinuz": must be an absolute path`,
			`spec.domain.firmware.kernelBoot.container.initrdPath: Invalid value: "initrd": must be an absolute path`,
		},
	}}, true)
}

func TestValidateWatchdog(t *testing.T) {
	const wd = "spec.domain.devices.watchdog"
	withWatchdog := func(w *Watchdog) func(s *VirtualMachineInstanceSpec) {
		return func(s *VirtualMachineInstanceSpec) { s.Domain.Devices.Watchdog = w }
	}
	esb := func(a WatchdogAction) WatchdogDevice { return WatchdogDevice{I6300ESB: &I6300ESBWatchdog{Action: a}} }
	cases := []specCase{{
		name:   "poweroff",
		mutate: withWatchdog(&Watchdog{Name: "wd", WatchdogDevice: esb(WatchdogActionPoweroff)}),
	}, {
		name:   "shutdown",
		mutate: withWatchdog(&Watchdog{Name: "wd", WatchdogDevice: esb(WatchdogActionShutdown)}),
	}, {
		name:   "empty action defaults to reset",
		mutate: withWatchdog(&Watchdog{Name: "wd", WatchdogDevice: esb("")}),
	}, {
		name:   "unknown action",
		mutate: withWatchdog(&Watchdog{Name: "wd", WatchdogDevice: esb("pause")}),
		want: []string{wd + `.i6300esb.action: Unsupported value: "pause": ` +
			`supported values: "poweroff", "reset", "shutdown"`},
	}, {
		name:   "no device",
		mutate: withWatchdog(&Watchdog{Name: "wd"}),
		want: []string{wd + ": Required value: exactly one watchdog device must be set: i6300esb " +
			"(amd64 only supports I6300ESB watchdog device)"},
	}, {
		name:   "no name",
		mutate: withWatchdog(&Watchdog{WatchdogDevice: esb(WatchdogActionReset)}),
		want:   []string{wd + ".name: Required value"},
	}, {
		name:   "placeholder name",
		mutate: withWatchdog(&Watchdog{Name: "<watchdog>", WatchdogDevice: esb(WatchdogActionPoweroff)}),
		want: []string{wd + `.name: Invalid value: "<watchdog>": a lowercase RFC 1123 label must consist of ` +
			`lower case alphanumeric characters or '-', and must start and end with an alphanumeric character ` +
			`(e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')`},
	}}
	runVMISpecCases(t, cases, true)
	runVMISpecCases(t, cases, false)
}

func TestValidateDisks(t *testing.T) {
	const d = "spec.domain.devices.disks"
	runVMISpecCases(t, []specCase{{
		name: "disks naming volumes",
		mutate: func(s *VirtualMachineInstanceSpec) {
			s.Domain.Devices.Disks = []Disk{
				{Name: "boot", DiskDevice: DiskDevice{Disk: &DiskTarget{Bus: DiskBusVirtio}}, BootOrder: ptrTo(uint(1))},
			}
		},
	}, {
		name: "disk problems",
		mutate: func(s *VirtualMachineInstanceSpec) {
			s.Domain.Devices.Disks = []Disk{
				{Name: "boot", BootOrder: ptrTo(uint(1))},
				{Name: "boot", BootOrder: ptrTo(uint(1))},
				{Name: "data", BootOrder: ptrTo(uint(0))},
				{DiskDevice: DiskDevice{Disk: &DiskTarget{Bus: "ide"}, CDRom: &CDRomTarget{Bus: "usb"}}},
			}
		},
		want: []string{
			d + `[1].name: Duplicate value: "boot"`,
			d + `[1].bootOrder: Duplicate value: 1`,
			d + `[2].name: Invalid value: "data": must name a volume in spec.volumes (volumes: boot)`,
			d + `[2].bootOrder: Invalid value: 0: must be greater than 0 if set`,
			d + `[3].name: Required value: the name of the volume this disk attaches`,
			d + `[3]: Invalid value: may have at most one of disk and cdrom set`,
			d + `[3].disk.bus: Unsupported value: "ide": supported values: "virtio", "sata", "scsi"`,
			d + `[3].cdrom.bus: Unsupported value: "usb": supported values: "virtio", "sata", "scsi"`,
		},
	}, {
		name: "disk without any volume",
		mutate: func(s *VirtualMachineInstanceSpec) {
			s.Volumes = nil
			s.Domain.Firmware = &Firmware{KernelBoot: &KernelBoot{Container: &KernelBootContainer{Image: "tiny"}}}
			s.Domain.Devices.Disks = []Disk{{Name: "boot"}}
		},
		want: []string{d + `[0].name: Invalid value: "boot": must name a volume in spec.volumes, but there are no volumes`},
	}}, true)
}
