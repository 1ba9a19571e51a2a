package qemu

import (
	"fmt"
	"path/filepath"
	"regexp"
	"strings"

	"k8s.io/apimachinery/pkg/types"

	v1 "vigil.dev/vigil/api/v1"
)

// Accelerators QEMU is started with.
const (
	AccelKVM = "kvm"
	AccelTCG = "tcg"
)

// DefaultMachineType is the machine QEMU emulates unless the VMI names another
// q35 variant. The command line relies on q35's built-in AHCI controller
// (buses ide.0 to ide.5) for SATA disks and CD-ROMs.
const DefaultMachineType = "q35"

// maxSocketPath is the longest unix socket path Linux accepts (sun_path
// holds 108 bytes with the terminating NUL).
const maxSocketPath = 107

// maxTapName is the longest network device name (IFNAMSIZ less the NUL).
const maxTapName = 15

// sataPorts is how many ports q35's built-in AHCI controller has.
const sataPorts = 6

// Disk formats.
const (
	FormatRaw   = "raw"
	FormatQCOW2 = "qcow2"
)

// LaunchSpec is everything needed to start one VMI's QEMU, already
// resolved: file paths exist (or are the node's business), taps are
// created, the accelerator is known. Args turns it into an argv; nothing in
// it is looked up again.
type LaunchSpec struct {
	UID       types.UID
	Namespace string
	Name      string

	// FirmwareUUID is the guest's SMBIOS UUID (-uuid); empty means the UID.
	FirmwareUUID string
	// FirmwareSerial is the guest's SMBIOS system serial number, if any.
	FirmwareSerial string

	// MachineType is q35 or a versioned q35 (pc-q35-7.2); empty means q35.
	MachineType string
	// Accel is AccelKVM or AccelTCG (see DetectAccel).
	Accel string
	// TBSizeMiB bounds TCG's translation cache; 0 means TBSizeFor(MemoryMiB).
	// Ignored under KVM.
	TBSizeMiB int

	CPU       CPUTopology
	MemoryMiB int64

	// Kernel boot: Kernel is the kernel image file; Initrd may be empty.
	Kernel     string
	Initrd     string
	KernelArgs string

	Disks    []Disk
	NICs     []NIC
	Watchdog *Watchdog

	// SerialConsole attaches the serial port (console.sock + console.log).
	SerialConsole bool
	// Sandbox turns on QEMU's seccomp filter (-sandbox on,...).
	Sandbox bool
	// Paused leaves the vCPUs stopped after start (StartStrategy Paused).
	// The argv always has -S; Launch sends cont unless Paused.
	Paused bool

	// RunDir is the VMI's private directory: sockets, pidfile, logs.
	RunDir string
}

// CPUTopology is the guest's vCPU layout; each member is at least 1.
type CPUTopology struct {
	Cores, Sockets, Threads uint32
}

// VCPUs is the number of vCPUs the topology gives.
func (c CPUTopology) VCPUs() uint32 { return c.Cores * c.Sockets * c.Threads }

// Disk buses.
const (
	BusVirtio = "virtio"
	BusSATA   = "sata"
	BusSCSI   = "scsi"
)

// Disk is one block device of the guest.
type Disk struct {
	// Name is the disk's name in the VMI; it becomes part of the device id.
	Name string
	// Path is the image file; Format is FormatRaw or FormatQCOW2.
	Path   string
	Format string
	// ReadOnly opens the image read-only (always true for a CD-ROM).
	ReadOnly bool
	// Bus is BusVirtio, BusSATA or BusSCSI.
	Bus   string
	CDROM bool
	// Serial is the serial number the guest sees, if any.
	Serial string
	// BootIndex orders boot devices; 0 means not a boot device.
	BootIndex int
}

// NIC models.
const (
	ModelVirtio  = "virtio"
	ModelE1000   = "e1000"
	ModelE1000E  = "e1000e"
	ModelRTL8139 = "rtl8139"
)

// nicDevices maps a NIC model to its QEMU device.
var nicDevices = map[string]string{
	ModelVirtio:  "virtio-net-pci",
	ModelE1000:   "e1000",
	ModelE1000E:  "e1000e",
	ModelRTL8139: "rtl8139",
}

// NIC is one guest network interface backed by a host tap device.
type NIC struct {
	// Name is the interface's name in the VMI.
	Name string
	// Tap is the host tap device; the node created it.
	Tap string
	// MAC is the guest-side MAC address.
	MAC string
	// Model is ModelVirtio (default), ModelE1000, ModelE1000E or ModelRTL8139.
	Model string
}

// Watchdog is the guest's i6300esb watchdog device.
type Watchdog struct {
	// Name is the device's name in the VMI.
	Name   string
	Action v1.WatchdogAction
}

// qemuID matches what QEMU accepts as a device or object id; names used
// in ids are DNS labels, which always match.
var qemuID = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9._-]*$`)

// macAddress matches a colon-separated MAC address.
var macAddress = regexp.MustCompile(`^[0-9a-fA-F]{2}(:[0-9a-fA-F]{2}){5}$`)

// uuidPattern matches the textual UUID QEMU's -uuid accepts.
var uuidPattern = regexp.MustCompile(`^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`)

// Validate checks what Args relies on, so that a spec built by hand fails
// here with a clear message rather than in QEMU. SpecFromVMI's output
// always passes.
func (s *LaunchSpec) Validate() error {
	checks := []func() error{s.validateIdentity, s.validateMachine, s.validateDisks, s.validateNICs}
	for _, check := range checks {
		if err := check(); err != nil {
			return fmt.Errorf("launch spec of vmi %s/%s: %w", s.Namespace, s.Name, err)
		}
	}
	return nil
}

func (s *LaunchSpec) validateIdentity() error {
	switch {
	case s.UID == "":
		return fmt.Errorf("uid: required")
	case strings.ContainsAny(string(s.UID), ", \t\n"):
		return fmt.Errorf("uid %q: must not contain commas or spaces", s.UID)
	case s.Name == "" || s.Namespace == "":
		return fmt.Errorf("namespace and name: required")
	case s.FirmwareUUID == "" && !uuidPattern.MatchString(string(s.UID)):
		return fmt.Errorf("uid %q: must be a UUID when no firmware uuid is set (it becomes -uuid)", s.UID)
	case s.FirmwareUUID != "" && !uuidPattern.MatchString(s.FirmwareUUID):
		return fmt.Errorf("firmware uuid %q: must be a UUID", s.FirmwareUUID)
	case !filepath.IsAbs(s.RunDir):
		return fmt.Errorf("run dir %q: must be an absolute path", s.RunDir)
	case len(RunDir(s.RunDir).Console()) > maxSocketPath:
		return fmt.Errorf("run dir %q: too long for unix socket paths (at most %d bytes with the socket name)",
			s.RunDir, maxSocketPath)
	}
	return nil
}

func (s *LaunchSpec) validateMachine() error {
	switch {
	case s.Accel != AccelKVM && s.Accel != AccelTCG:
		return fmt.Errorf("accel %q: must be %s or %s", s.Accel, AccelKVM, AccelTCG)
	case s.MachineType != "" && !isQ35(s.MachineType):
		return fmt.Errorf("machine type %q: only q35 machines are supported", s.MachineType)
	case s.CPU.Cores == 0 || s.CPU.Sockets == 0 || s.CPU.Threads == 0:
		return fmt.Errorf("cpu topology %+v: every member must be at least 1", s.CPU)
	case s.MemoryMiB < 16:
		return fmt.Errorf("memory %d MiB: must be at least 16 MiB", s.MemoryMiB)
	case s.TBSizeMiB < 0:
		return fmt.Errorf("tb size %d MiB: must not be negative", s.TBSizeMiB)
	case s.Kernel == "" && (s.Initrd != "" || s.KernelArgs != ""):
		return fmt.Errorf("kernel: required when an initrd or kernel arguments are given")
	}
	if w := s.Watchdog; w != nil {
		if !qemuID.MatchString(w.Name) {
			return fmt.Errorf("watchdog name %q: must be a DNS label", w.Name)
		}
		switch w.Action {
		case v1.WatchdogActionPoweroff, v1.WatchdogActionReset, v1.WatchdogActionShutdown:
		default:
			return fmt.Errorf("watchdog action %q: must be poweroff, reset or shutdown", w.Action)
		}
	}
	return nil
}

func isQ35(machine string) bool {
	return machine == "q35" || strings.HasPrefix(machine, "pc-q35-")
}

func (s *LaunchSpec) validateDisks() error {
	seen := map[string]bool{}
	sata := 0
	for _, d := range s.Disks {
		if err := d.validate(); err != nil {
			return fmt.Errorf("disk %q: %w", d.Name, err)
		}
		if seen[d.Name] {
			return fmt.Errorf("disk %q: duplicate name", d.Name)
		}
		seen[d.Name] = true
		if d.Bus == BusSATA {
			sata++
		}
	}
	if sata > sataPorts {
		return fmt.Errorf("disks: %d on the sata bus, but q35 has %d sata ports", sata, sataPorts)
	}
	return nil
}

func (d Disk) validate() error {
	switch {
	case !qemuID.MatchString(d.Name):
		return fmt.Errorf("name: must be a DNS label")
	case !filepath.IsAbs(d.Path):
		return fmt.Errorf("path %q: must be an absolute path", d.Path)
	case d.Format != FormatRaw && d.Format != FormatQCOW2:
		return fmt.Errorf("format %q: must be %s or %s", d.Format, FormatRaw, FormatQCOW2)
	case d.Bus != BusVirtio && d.Bus != BusSATA && d.Bus != BusSCSI:
		return fmt.Errorf("bus %q: must be virtio, sata or scsi", d.Bus)
	case d.CDROM && d.Bus == BusVirtio:
		return fmt.Errorf("bus virtio: a cd-rom needs the sata or scsi bus")
	case d.CDROM && !d.ReadOnly:
		return fmt.Errorf("read-only: a cd-rom is always read-only")
	case !d.CDROM && d.ReadOnly && d.Bus == BusSATA:
		return fmt.Errorf("bus sata: QEMU cannot attach a read-only sata disk (use virtio or scsi)")
	case d.BootIndex < 0:
		return fmt.Errorf("boot index %d: must not be negative", d.BootIndex)
	}
	return nil
}

func (s *LaunchSpec) validateNICs() error {
	seen := map[string]bool{}
	for _, n := range s.NICs {
		switch {
		case !qemuID.MatchString(n.Name):
			return fmt.Errorf("nic %q: name must be a DNS label", n.Name)
		case seen[n.Name]:
			return fmt.Errorf("nic %q: duplicate name", n.Name)
		case n.Tap == "" || len(n.Tap) > maxTapName || strings.ContainsAny(n.Tap, ", /:"):
			return fmt.Errorf("nic %q: tap %q must be a device name of at most %d characters", n.Name, n.Tap, maxTapName)
		case !macAddress.MatchString(n.MAC):
			return fmt.Errorf("nic %q: mac %q must be six colon-separated hex bytes", n.Name, n.MAC)
		case nicDevices[n.modelOrDefault()] == "":
			return fmt.Errorf("nic %q: model %q must be virtio, e1000, e1000e or rtl8139", n.Name, n.Model)
		}
		seen[n.Name] = true
	}
	return nil
}

func (n NIC) modelOrDefault() string {
	if n.Model == "" {
		return ModelVirtio
	}
	return n.Model
}
