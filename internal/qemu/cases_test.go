package qemu

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/yaml"

	v1 "vigil.dev/vigil/api/v1"
)

// The VMIs behind the golden files. Each is a valid API object (checked by
// v1.ValidateVirtualMachineInstance) plus what a node would resolve for it.

const testUID = types.UID("6f1c2b3a-4d5e-4f60-8a7b-9c0d1e2f3a4b")

// loadSeedVMI turns one of the seed's VirtualMachine manifests into the
// VMI its template describes.
func loadSeedVMI(t *testing.T, file string) *v1.VirtualMachineInstance {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", "seed", file))
	if err != nil {
		t.Fatal(err)
	}
	// The watchdog manifest keeps the seed's placeholders; give them names.
	data = []byte(strings.NewReplacer("<vm-name>", "watchdog-vm", "<watchdog>", "watchdog").Replace(string(data)))
	vm := &v1.VirtualMachine{}
	if err := yaml.UnmarshalStrict(data, vm); err != nil {
		t.Fatalf("%s: %v", file, err)
	}
	ns := vm.Namespace
	if ns == "" {
		ns = "default"
	}
	return &v1.VirtualMachineInstance{
		ObjectMeta: metav1.ObjectMeta{Name: vm.Name, Namespace: ns, UID: testUID},
		Spec:       *vm.Spec.Template.Spec.DeepCopy(),
	}
}

// withKernelBoot completes a seed manifest with the boot source it lacks.
func withKernelBoot(vmi *v1.VirtualMachineInstance) *v1.VirtualMachineInstance {
	vmi.Spec.Domain.Firmware = &v1.Firmware{KernelBoot: &v1.KernelBoot{
		KernelArgs: "console=ttyS0 quiet panic=-1",
		Container:  &v1.KernelBootContainer{Image: "tiny", KernelPath: "/boot/vmlinuz", InitrdPath: "/boot/initrd.img"},
	}}
	return vmi
}

// files names the resolved files of a case; the golden files use fixed
// paths, the real-QEMU test temporary ones.
type files struct {
	runDir, kernel, initrd, rootDisk, cloudInit string
}

var goldenFiles = files{
	runDir:    "/run/vigil/vmi/" + string(testUID),
	kernel:    "/var/lib/vigil/images/tiny/vmlinuz",
	initrd:    "/var/lib/vigil/images/tiny/initrd.img",
	rootDisk:  "/var/lib/vigil/vmi/" + string(testUID) + "/rootdisk.qcow2",
	cloudInit: "/var/lib/vigil/vmi/" + string(testUID) + "/cloudinit.iso",
}

func kernelBootResolved(f files) Resolved {
	return Resolved{
		RunDir: f.runDir,
		Accel:  AccelTCG,
		Kernel: f.kernel,
		Initrd: f.initrd,
		Taps:   map[string]string{v1.DefaultNetworkName: "vg-6f1c2b3a"},
	}
}

type argsCase struct {
	name     string
	vmi      func(t *testing.T) *v1.VirtualMachineInstance
	resolved func(f files) Resolved
}

func watchdogCase(action v1.WatchdogAction) argsCase {
	return argsCase{
		name: "watchdog-" + string(action),
		vmi: func(t *testing.T) *v1.VirtualMachineInstance {
			vmi := withKernelBoot(loadSeedVMI(t, "watchdog.yaml"))
			vmi.Spec.Domain.Devices.Watchdog.I6300ESB.Action = action
			return vmi
		},
		resolved: kernelBootResolved,
	}
}

func seedCase(name, file string) argsCase {
	return argsCase{
		name:     name,
		vmi:      func(t *testing.T) *v1.VirtualMachineInstance { return withKernelBoot(loadSeedVMI(t, file)) },
		resolved: kernelBootResolved,
	}
}

var argsCases = []argsCase{
	seedCase("seed-liveness-http", "liveness-http.yaml"),
	seedCase("seed-readiness-guest-agent-ping", "readiness-guest-agent-ping.yaml"),
	seedCase("seed-readiness-http", "readiness-http.yaml"),
	seedCase("seed-readiness-tcp", "readiness-tcp.yaml"),
	watchdogCase(v1.WatchdogActionPoweroff),
	watchdogCase(v1.WatchdogActionReset),
	watchdogCase(v1.WatchdogActionShutdown),
	{name: "containerdisk-cloudinit-two-nics", vmi: containerDiskVMI, resolved: containerDiskResolved},
	{name: "kvm-scsi-sata-firmware", vmi: kvmVMI, resolved: kvmResolved},
}

// containerDiskVMI boots a qcow2 overlay of a containerDisk, with a
// cloud-init CD-ROM and two NICs, 2 vCPUs and 1 GiB.
func containerDiskVMI(*testing.T) *v1.VirtualMachineInstance {
	mem := resource.MustParse("1Gi")
	boot := uint(1)
	return &v1.VirtualMachineInstance{
		ObjectMeta: metav1.ObjectMeta{Name: "web", Namespace: "prod", UID: testUID},
		Spec: v1.VirtualMachineInstanceSpec{
			Domain: v1.DomainSpec{
				CPU:    &v1.CPU{Cores: 2},
				Memory: &v1.Memory{Guest: &mem},
				Devices: v1.Devices{
					Disks: []v1.Disk{
						{Name: "rootdisk", DiskDevice: v1.DiskDevice{Disk: &v1.DiskTarget{Bus: v1.DiskBusVirtio}}, BootOrder: &boot},
						{Name: "cloudinit", DiskDevice: v1.DiskDevice{CDRom: &v1.CDRomTarget{Bus: v1.DiskBusSATA}}},
					},
					Interfaces: []v1.Interface{
						{Name: "default", InterfaceBindingMethod: v1.InterfaceBindingMethod{Masquerade: &v1.InterfaceMasquerade{}}},
						{Name: "backend", InterfaceBindingMethod: v1.InterfaceBindingMethod{Bridge: &v1.InterfaceBridge{}},
							MacAddress: "52:54:00:AB:CD:EF"},
					},
				},
			},
			Volumes: []v1.Volume{
				{Name: "rootdisk", VolumeSource: v1.VolumeSource{ContainerDisk: &v1.ContainerDiskSource{Image: "debian-12"}}},
				{Name: "cloudinit", VolumeSource: v1.VolumeSource{CloudInitNoCloud: &v1.CloudInitNoCloudSource{
					UserData: "#cloud-config\npassword: vigil\n"}}},
			},
			Networks: []v1.Network{
				{Name: "default", NetworkSource: v1.NetworkSource{Pod: &v1.PodNetwork{}}},
				{Name: "backend", NetworkSource: v1.NetworkSource{Pod: &v1.PodNetwork{}}},
			},
		},
	}
}

func containerDiskResolved(f files) Resolved {
	return Resolved{
		RunDir: f.runDir,
		Accel:  AccelTCG,
		Volumes: map[string]Volume{
			"rootdisk":  {Path: f.rootDisk, Format: FormatQCOW2},
			"cloudinit": {Path: f.cloudInit, Format: FormatRaw},
		},
		Taps: map[string]string{"default": "vg-6f1c2b3a-0", "backend": "vg-6f1c2b3a-1"},
	}
}

// kvmVMI exercises KVM (-cpu host, vhost), SCSI and SATA disks, a volume
// without a disk, firmware UUID and serial, memory from
// resources.requests, a cpu limit, an e1000 NIC and a paused start.
func kvmVMI(*testing.T) *v1.VirtualMachineInstance {
	paused := v1.StartStrategyPaused
	return &v1.VirtualMachineInstance{
		ObjectMeta: metav1.ObjectMeta{Name: "db", Namespace: "prod", UID: testUID},
		Spec: v1.VirtualMachineInstanceSpec{
			StartStrategy: &paused,
			Domain: v1.DomainSpec{
				Resources: v1.ResourceRequirements{
					Requests: corev1.ResourceList{corev1.ResourceMemory: resource.MustParse("600M")},
					Limits:   corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("1500m")},
				},
				Machine:  &v1.Machine{Type: "pc-q35-7.2"},
				Firmware: &v1.Firmware{UUID: "0a1b2c3d-0000-4000-8000-00000000abcd", Serial: "SN,42"},
				Devices: v1.Devices{
					Disks: []v1.Disk{
						{Name: "data", DiskDevice: v1.DiskDevice{Disk: &v1.DiskTarget{Bus: v1.DiskBusSCSI, ReadOnly: true}}, Serial: "data-1"},
						{Name: "scratch", DiskDevice: v1.DiskDevice{Disk: &v1.DiskTarget{Bus: v1.DiskBusSATA}}},
						{Name: "tools", DiskDevice: v1.DiskDevice{CDRom: &v1.CDRomTarget{Bus: v1.DiskBusSCSI}}},
					},
					Interfaces: []v1.Interface{
						{Name: "default", Model: "e1000", InterfaceBindingMethod: v1.InterfaceBindingMethod{Masquerade: &v1.InterfaceMasquerade{}}},
					},
				},
			},
			Volumes: []v1.Volume{
				{Name: "data", VolumeSource: v1.VolumeSource{HostDisk: &v1.HostDisk{Path: "/srv/data.img", Type: v1.HostDiskExists}}},
				{Name: "scratch", VolumeSource: v1.VolumeSource{EmptyDisk: &v1.EmptyDiskSource{Capacity: resource.MustParse("1Gi")}}},
				{Name: "tools", VolumeSource: v1.VolumeSource{HostDisk: &v1.HostDisk{Path: "/srv/tools.iso", Type: v1.HostDiskExists}}},
				{Name: "extra", VolumeSource: v1.VolumeSource{HostDisk: &v1.HostDisk{Path: "/srv/extra,1.qcow2", Type: v1.HostDiskExists}}},
			},
			Networks: []v1.Network{{Name: "default", NetworkSource: v1.NetworkSource{Pod: &v1.PodNetwork{}}}},
		},
	}
}

func kvmResolved(f files) Resolved {
	dir := filepath.Dir(f.rootDisk)
	return Resolved{
		RunDir: f.runDir,
		Accel:  AccelKVM,
		Volumes: map[string]Volume{
			"data":    {Path: filepath.Join(dir, "data.img")},
			"scratch": {Path: filepath.Join(dir, "scratch.img"), Format: FormatRaw},
			"tools":   {Path: f.cloudInit, Format: FormatRaw},
			"extra":   {Path: filepath.Join(dir, "extra,1.qcow2"), Format: FormatQCOW2},
		},
		Taps: map[string]string{"default": "vg-6f1c2b3a"},
	}
}
