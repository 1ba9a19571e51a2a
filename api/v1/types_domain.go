package v1

import (
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	"k8s.io/apimachinery/pkg/types"
)

// DomainSpec is the virtual hardware of a VMI.
type DomainSpec struct {
	Resources ResourceRequirements `json:"resources,omitempty"`
	CPU       *CPU                 `json:"cpu,omitempty"`
	Memory    *Memory              `json:"memory,omitempty"`
	Machine   *Machine             `json:"machine,omitempty"`
	Firmware  *Firmware            `json:"firmware,omitempty"`
	Devices   Devices              `json:"devices"`
}

// ResourceRequirements are the requests and limits of a VMI (memory, cpu).
type ResourceRequirements struct {
	Requests corev1.ResourceList `json:"requests,omitempty"`
	Limits   corev1.ResourceList `json:"limits,omitempty"`
}

// CPU is the guest's CPU topology.
type CPU struct {
	Cores   uint32 `json:"cores,omitempty"`
	Sockets uint32 `json:"sockets,omitempty"`
	Threads uint32 `json:"threads,omitempty"`
	Model   string `json:"model,omitempty"`
}

// Memory is the guest's memory; Guest wins over resources.requests.memory.
type Memory struct {
	Guest *resource.Quantity `json:"guest,omitempty"`
}

// Machine is the emulated machine type (e.g. q35).
type Machine struct {
	Type string `json:"type"`
}

// Firmware describes how the guest boots.
type Firmware struct {
	UUID       types.UID   `json:"uuid,omitempty"`
	Serial     string      `json:"serial,omitempty"`
	KernelBoot *KernelBoot `json:"kernelBoot,omitempty"`
}

// KernelBoot boots a kernel and initrd directly, without a boot disk.
type KernelBoot struct {
	KernelArgs string               `json:"kernelArgs,omitempty"`
	Container  *KernelBootContainer `json:"container,omitempty"`
}

// KernelBootContainer names the image holding the kernel and initrd.
type KernelBootContainer struct {
	Image           string            `json:"image"`
	ImagePullSecret string            `json:"imagePullSecret,omitempty"`
	KernelPath      string            `json:"kernelPath,omitempty"`
	InitrdPath      string            `json:"initrdPath,omitempty"`
	ImagePullPolicy corev1.PullPolicy `json:"imagePullPolicy,omitempty"`
}

// Devices are the guest's devices.
type Devices struct {
	Disks      []Disk      `json:"disks,omitempty"`
	Watchdog   *Watchdog   `json:"watchdog,omitempty"`
	Interfaces []Interface `json:"interfaces,omitempty"`
	// AutoattachSerialConsole adds a serial console (default true).
	AutoattachSerialConsole *bool `json:"autoattachSerialConsole,omitempty"`
}

// Disk attaches a volume of the same name to the guest.
type Disk struct {
	Name       string `json:"name"`
	DiskDevice `json:",inline"`
	BootOrder  *uint  `json:"bootOrder,omitempty"`
	Serial     string `json:"serial,omitempty"`
}

// DiskDevice is how a disk appears in the guest: at most one member is set.
type DiskDevice struct {
	Disk  *DiskTarget  `json:"disk,omitempty"`
	CDRom *CDRomTarget `json:"cdrom,omitempty"`
}

// DiskBus is the bus a disk is attached to.
type DiskBus string

// Disk buses.
const (
	DiskBusVirtio DiskBus = "virtio"
	DiskBusSATA   DiskBus = "sata"
	DiskBusSCSI   DiskBus = "scsi"
)

// DiskTarget is a plain disk.
type DiskTarget struct {
	Bus      DiskBus `json:"bus,omitempty"`
	ReadOnly bool    `json:"readonly,omitempty"`
}

// CDRomTarget is a CD-ROM drive.
type CDRomTarget struct {
	Bus      DiskBus `json:"bus,omitempty"`
	ReadOnly *bool   `json:"readonly,omitempty"`
	Tray     string  `json:"tray,omitempty"`
}

// Watchdog is a watchdog device; exactly one device member must be set.
type Watchdog struct {
	Name           string `json:"name"`
	WatchdogDevice `json:",inline"`
}

// WatchdogDevice holds the device model.
type WatchdogDevice struct {
	I6300ESB *I6300ESBWatchdog `json:"i6300esb,omitempty"`
}

// WatchdogAction is what the device does when the guest stops feeding it.
type WatchdogAction string

// Watchdog actions.
const (
	WatchdogActionPoweroff WatchdogAction = "poweroff"
	WatchdogActionReset    WatchdogAction = "reset"
	WatchdogActionShutdown WatchdogAction = "shutdown"
)

// I6300ESBWatchdog is Intel's 6300ESB watchdog, the one device QEMU offers on amd64.
type I6300ESBWatchdog struct {
	Action WatchdogAction `json:"action,omitempty"`
}

// Interface is a guest network interface, bound to a network of the same name.
type Interface struct {
	Name                   string `json:"name"`
	InterfaceBindingMethod `json:",inline"`
	Model                  string `json:"model,omitempty"`
	Ports                  []Port `json:"ports,omitempty"`
	MacAddress             string `json:"macAddress,omitempty"`
}

// InterfaceBindingMethod is how an interface is connected to its network.
type InterfaceBindingMethod struct {
	Bridge     *InterfaceBridge     `json:"bridge,omitempty"`
	Masquerade *InterfaceMasquerade `json:"masquerade,omitempty"`
}

// InterfaceBridge connects the guest to the network directly.
type InterfaceBridge struct{}

// InterfaceMasquerade connects the guest through NAT.
type InterfaceMasquerade struct{}

// Port is a port the guest serves on an interface; named probe ports resolve here.
type Port struct {
	Name     string `json:"name,omitempty"`
	Protocol string `json:"protocol,omitempty"`
	Port     int32  `json:"port"`
}

// Network is a network a VMI's interfaces can attach to.
type Network struct {
	Name          string `json:"name"`
	NetworkSource `json:",inline"`
}

// NetworkSource says which network.
type NetworkSource struct {
	Pod *PodNetwork `json:"pod,omitempty"`
}

// PodNetwork is the host's default VM network.
type PodNetwork struct {
	VMNetworkCIDR string `json:"vmNetworkCIDR,omitempty"`
}

// Volume is a source of data for a disk of the same name.
type Volume struct {
	Name         string `json:"name"`
	VolumeSource `json:",inline"`
}

// VolumeSource says where a volume's data comes from; exactly one member is set.
type VolumeSource struct {
	HostDisk         *HostDisk               `json:"hostDisk,omitempty"`
	CloudInitNoCloud *CloudInitNoCloudSource `json:"cloudInitNoCloud,omitempty"`
	ContainerDisk    *ContainerDiskSource    `json:"containerDisk,omitempty"`
	EmptyDisk        *EmptyDiskSource        `json:"emptyDisk,omitempty"`
}

// ContainerDiskSource is an ephemeral disk made from an image in the local image store:
// the VMI writes to a copy-on-write overlay that is thrown away when it ends.
type ContainerDiskSource struct {
	Image           string            `json:"image"`
	ImagePullSecret string            `json:"imagePullSecret,omitempty"`
	Path            string            `json:"path,omitempty"`
	ImagePullPolicy corev1.PullPolicy `json:"imagePullPolicy,omitempty"`
}

// HostDiskType says whether a host disk must exist.
type HostDiskType string

// Host disk types.
const (
	HostDiskExists         HostDiskType = "Disk"
	HostDiskExistsOrCreate HostDiskType = "DiskOrCreate"
)

// HostDisk is a disk image file on the host.
type HostDisk struct {
	Path     string            `json:"path"`
	Type     HostDiskType      `json:"type"`
	Capacity resource.Quantity `json:"capacity,omitempty"`
	Shared   *bool             `json:"shared,omitempty"`
}

// EmptyDiskSource is a blank, ephemeral disk of the given capacity.
type EmptyDiskSource struct {
	Capacity resource.Quantity `json:"capacity"`
}

// CloudInitNoCloudSource is cloud-init user and network data, given to the
// guest as a NoCloud `cidata` disk.
type CloudInitNoCloudSource struct {
	UserDataSecretRef    *corev1.LocalObjectReference `json:"secretRef,omitempty"`
	UserDataBase64       string                       `json:"userDataBase64,omitempty"`
	UserData             string                       `json:"userData,omitempty"`
	NetworkDataSecretRef *corev1.LocalObjectReference `json:"networkDataSecretRef,omitempty"`
	NetworkDataBase64    string                       `json:"networkDataBase64,omitempty"`
	NetworkData          string                       `json:"networkData,omitempty"`
}
