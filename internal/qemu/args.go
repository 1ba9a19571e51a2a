package qemu

import (
	"fmt"
	"strings"
)

// UIDOEMString prefixes the SMBIOS OEM string (type 11) that carries the
// VMI UID on every QEMU command line. Reattach trusts a pidfile only if the
// process's argv holds exactly this string for the VMI: -uuid cannot serve,
// since it is the firmware UUID when the VMI sets one. The guest can read
// the string too (dmidecode -t 11), which is harmless: the UID is no secret.
const UIDOEMString = "io.vigil.vmi.uid="

// GuestAgentPortName is the virtio-serial port name qemu-ga looks for.
const GuestAgentPortName = "org.qemu.guest_agent.0"

// GuestAgentPortID is the -device id of the guest agent's port, which
// QMP's VSERPORT_CHANGE events name when the agent opens or closes it.
const GuestAgentPortID = "qga0"

// TB size bounds, in MiB: see TBSizeFor.
const (
	minTBSizeMiB = 32
	maxTBSizeMiB = 256
)

// TBSizeFor sizes TCG's translation cache for a guest of memMiB MiB:
// a quarter of guest memory, at least 32 and at most 256 MiB. QEMU's
// default is far larger and shows up as resident memory (a 1 GiB guest's
// QEMU held ~1.6 GiB, with tb-size=256 half of that, at no measurable
// slowdown); a small guest runs little code, so a small cache suffices,
// and 32 MiB still holds the whole working set of a booting Linux.
func TBSizeFor(memMiB int64) int {
	return int(min(maxTBSizeMiB, max(minTBSizeMiB, memMiB/4)))
}

// optEscape makes s safe as a value in QEMU's key=value,... option syntax,
// where a comma is written as two.
func optEscape(s string) string { return strings.ReplaceAll(s, ",", ",,") }

// Args returns QEMU's full argv (argv[0] is qemuBinary) for the spec. The
// result is deterministic: the same spec gives the same argv, which the
// golden tests pin down. QEMU always starts with its vCPUs stopped (-S);
// Launch resumes them once QMP is connected. Call Validate first: Args
// assumes a valid spec.
func (s *LaunchSpec) Args(qemuBinary string) []string {
	a := &argv{list: []string{qemuBinary}}
	s.identityArgs(a)
	s.machineArgs(a)
	s.controlArgs(a)
	s.bootArgs(a)
	s.diskArgs(a)
	s.nicArgs(a)
	s.watchdogArgs(a)
	a.add("-action", "reboot=reset,shutdown=poweroff")
	if s.Sandbox {
		a.add("-sandbox", "on,obsolete=deny,elevateprivileges=deny,spawn=deny,resourcecontrol=deny")
	}
	return a.list
}

// argv collects arguments.
type argv struct{ list []string }

func (a *argv) add(args ...string) { a.list = append(a.list, args...) }

// identityArgs name the process after the VMI: -name shows up in
// /proc/PID/cmdline and, with debug-threads, in thread names; the OEM
// string is what Reattach checks.
func (s *LaunchSpec) identityArgs(a *argv) {
	a.add("-name", fmt.Sprintf("guest=%s_%s,debug-threads=on", optEscape(s.Namespace), optEscape(s.Name)))
	uuid := s.FirmwareUUID
	if uuid == "" {
		uuid = string(s.UID)
	}
	a.add("-uuid", uuid)
	if s.FirmwareSerial != "" {
		a.add("-smbios", "type=1,serial="+optEscape(s.FirmwareSerial))
	}
	a.add("-smbios", "type=11,value="+UIDOEMString+string(s.UID))
}

func (s *LaunchSpec) machineArgs(a *argv) {
	a.add("-no-user-config", "-nodefaults", "-nographic", "-display", "none", "-vga", "none")
	machine := s.MachineType
	if machine == "" {
		machine = DefaultMachineType
	}
	a.add("-machine", machine)
	if s.Accel == AccelKVM {
		a.add("-accel", "kvm", "-cpu", "host")
	} else {
		tb := s.TBSizeMiB
		if tb == 0 {
			tb = TBSizeFor(s.MemoryMiB)
		}
		a.add("-accel", fmt.Sprintf("tcg,tb-size=%d", tb), "-cpu", "max")
	}
	a.add("-m", fmt.Sprintf("%d", s.MemoryMiB))
	a.add("-smp", fmt.Sprintf("cores=%d,sockets=%d,threads=%d", s.CPU.Cores, s.CPU.Sockets, s.CPU.Threads))
	a.add("-S")
	a.add("-msg", "timestamp=on")
}

// controlArgs are the host's handles on the VM: pidfile, QMP, serial
// console (a socket for interactive use, copied to console.log), and the
// guest agent's channel.
func (s *LaunchSpec) controlArgs(a *argv) {
	d := RunDir(s.RunDir)
	a.add("-pidfile", d.PIDFile())
	a.add("-chardev", "socket,id=qmp,path="+optEscape(d.QMP())+",server=on,wait=off")
	a.add("-mon", "chardev=qmp,mode=control")
	if s.SerialConsole {
		a.add("-chardev", "socket,id=serial0,path="+optEscape(d.Console())+",server=on,wait=off,logfile="+
			optEscape(d.ConsoleLog())+",logappend=on")
		a.add("-serial", "chardev:serial0")
	}
	a.add("-device", "virtio-serial-pci,id=vs0")
	a.add("-chardev", "socket,id=qga0,path="+optEscape(d.GuestAgent())+",server=on,wait=off")
	a.add("-device", "virtserialport,bus=vs0.0,chardev=qga0,name="+GuestAgentPortName+",id="+GuestAgentPortID)
}

func (s *LaunchSpec) bootArgs(a *argv) {
	if s.Kernel == "" {
		return
	}
	a.add("-kernel", s.Kernel)
	if s.Initrd != "" {
		a.add("-initrd", s.Initrd)
	}
	if s.KernelArgs != "" {
		a.add("-append", s.KernelArgs)
	}
}

func (s *LaunchSpec) watchdogArgs(a *argv) {
	w := s.Watchdog
	if w == nil {
		return
	}
	a.add("-device", "i6300esb,id=watchdog-"+w.Name)
	a.add("-action", "watchdog="+string(w.Action))
}
