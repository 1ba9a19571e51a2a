package image

import (
	"errors"
	"log/slog"
)

// Options configures BuildTiny.
type Options struct {
	// OutDir receives vmlinuz, initrd and manifest.json (created if missing).
	OutDir string
	// KernelVersion picks /boot/vmlinuz-VERSION and /lib/modules/VERSION;
	// empty means the newest version that has both.
	KernelVersion string
	// InitBinary is a prebuilt, static guest init. Empty: build guest/init
	// with GoCmd in ModuleDir.
	InitBinary string
	// GoCmd is the go tool used to build the init; default "go".
	GoCmd string
	// ModuleDir is the root of vigil's Go module; default: `go env GOMOD`
	// run in the current directory.
	ModuleDir string
	// ExtraModules are kernel modules loaded at boot besides DefaultModules.
	ExtraModules []string
	// Logger receives progress; nil discards it.
	Logger *slog.Logger
}

// Result says what BuildTiny wrote.
type Result struct {
	Kernel        string // OutDir/vmlinuz
	Initrd        string // OutDir/initrd
	Manifest      string // OutDir/manifest.json
	KernelVersion string
	KernelSize    int64
	InitrdSize    int64 // compressed
	Files         int   // entries in the initramfs
}

// DefaultModules are the kernel modules the guest loads at boot (their
// dependencies come along): virtio transport, console (guest agent), net,
// disks and CD-ROMs for the cidata seed, the i6300esb watchdog, the ACPI
// power button and evdev to read it, and the virtio RNG for entropy.
var DefaultModules = []string{
	"virtio_pci", "virtio_console", "virtio_net", "virtio_blk", "virtio_scsi", "virtio_rng",
	"i6300esb", "isofs", "sr_mod", "ata_piix", "ahci", "evdev", "button",
}

// Host paths of the programs copied in, besides busybox.
const (
	busyboxPath  = "/bin/busybox"
	qemuGAPath   = "/usr/sbin/qemu-ga"
	watchdogPath = "/usr/sbin/watchdog"
	lspciPath    = "/usr/bin/lspci"
	pkillPath    = "/usr/bin/pkill"
	pciIDsPath   = "/usr/share/misc/pci.ids"
)

// ErrMissing reports a host file the image needs but the host lacks.
var ErrMissing = errors.New("missing on the host")

func (o *Options) logger() *slog.Logger {
	if o.Logger == nil {
		return slog.New(slog.DiscardHandler)
	}
	return o.Logger
}
