package main

import (
	"bytes"
	"encoding/binary"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"syscall"
	"testing"
)

func TestParseCmdline(t *testing.T) {
	for in, want := range map[string]bootConfig{
		"console=ttyS0 panic=-1": {hostname: defaultHostname, watchdog: true, shell: true},
		"quiet vigil.debug=1 vigil.hostname=web-0 vigil.watchdog=0\n": {debug: true, hostname: "web-0", shell: true},
		`vigil.debug vigil.shell=off init="/init x" vigil.hostname=`:  {debug: true, hostname: defaultHostname, watchdog: true},
	} {
		if got := parseCmdline(in); got != want {
			t.Errorf("parseCmdline(%q) = %+v, want %+v", in, got, want)
		}
	}
	if got := splitCmdline(`a "b c" d="e f"`); !reflect.DeepEqual(got, []string{"a", "b c", "d=e f"}) {
		t.Errorf("splitCmdline = %q", got)
	}
}

// A /proc/bus/input/devices as QEMU's pc machine shows it.
const inputDevices = `I: Bus=0019 Vendor=0000 Product=0001 Version=0000
N: Name="Power Button"
P: Phys=PNP0C0C/button/input0
H: Handlers=kbd event0
B: EV=3

I: Bus=0011 Vendor=0001 Product=0001 Version=ab41
N: Name="AT Translated Set 2 keyboard"
H: Handlers=sysrq kbd event1 leds

I: Bus=0019 Vendor=0000 Product=0001 Version=0000
N: Name="Power Button"
P: Phys=LNXPWRBN/button/input0
H: Handlers=kbd event2
`

func TestPowerButtonNodes(t *testing.T) {
	devs := parseInputDevices(strings.NewReader(inputDevices))
	if len(devs) != 3 {
		t.Fatalf("parsed %d devices, want 3: %+v", len(devs), devs)
	}
	got := powerButtonNodes(devs)
	if want := []string{"/dev/input/event0", "/dev/input/event2"}; !reflect.DeepEqual(got, want) {
		t.Fatalf("nodes = %q, want %q", got, want)
	}
}

func inputEvent(typ, code uint16, value int32) []byte {
	b := make([]byte, inputEventSize)
	binary.NativeEndian.PutUint16(b[16:], typ)
	binary.NativeEndian.PutUint16(b[18:], code)
	binary.NativeEndian.PutUint32(b[20:], uint32(value))
	return b
}

func TestIsPowerPress(t *testing.T) {
	cases := []struct {
		ev   []byte
		want bool
	}{
		{inputEvent(evKey, keyPower, 1), true},
		{inputEvent(evKey, keyPower, 0), false}, // release
		{inputEvent(0, 0, 0), false},            // EV_SYN
		{inputEvent(evKey, 30, 1), false},       // KEY_A
		{inputEvent(evKey, keyPower, 1)[:16], false},
	}
	for i, c := range cases {
		if got := isPowerPress(c.ev); got != c.want {
			t.Errorf("case %d: isPowerPress = %v, want %v", i, got, c.want)
		}
	}
}

func TestActionForSignal(t *testing.T) {
	for sig, want := range map[syscall.Signal]powerAction{
		syscall.SIGUSR2: actPoweroff, syscall.SIGTERM: actReboot, syscall.SIGUSR1: actHalt, syscall.SIGINT: actReboot,
	} {
		if got, ok := actionForSignal(sig); !ok || got != want {
			t.Errorf("%v -> %v, %v; want %v", sig, got, ok, want)
		}
	}
	if _, ok := actionForSignal(syscall.SIGHUP); ok {
		t.Error("SIGHUP must not end the machine")
	}
}

func TestPickEthernet(t *testing.T) {
	ifs := []netIface{
		{name: "lo", arpType: "772"},
		{name: "eth1", arpType: "1", physical: true},
		{name: "eth0", arpType: "1", physical: true},
		{name: "br0", arpType: "1"},
		{name: "sit0", arpType: "776", physical: true},
	}
	if got, ok := pickEthernet(ifs); !ok || got != "eth0" {
		t.Errorf("pickEthernet = %q, %v; want eth0", got, ok)
	}
	if _, ok := pickEthernet(ifs[:1]); ok {
		t.Error("loopback picked")
	}
}

func TestISOLabel(t *testing.T) {
	xorriso, err := exec.LookPath("xorriso")
	if err != nil {
		t.Skip("xorriso not installed")
	}
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "meta-data"), []byte("instance-id: x\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	iso := filepath.Join(t.TempDir(), "seed.iso")
	if out, err := exec.Command(xorriso, "-as", "mkisofs", "-V", "cidata", "-J", "-r", "-o", iso, dir).CombinedOutput(); err != nil {
		t.Fatalf("xorriso: %v: %s", err, out)
	}
	f, err := os.Open(iso)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if label, err := isoLabel(f); err != nil || label != "cidata" {
		t.Fatalf("isoLabel = %q, %v", label, err)
	}
	if _, err := isoLabel(bytes.NewReader(make([]byte, 40*isoBlock))); err != errNotISO {
		t.Fatalf("zeroed disk: err = %v, want errNotISO", err)
	}
}

func TestSeedCandidates(t *testing.T) {
	for name, want := range map[string]bool{"vda": true, "vdb1": false, "sr0": true, "sda": true, "sda1": false, "loop0": false, "hdc": true} {
		if got := seedCandidate.MatchString(name); got != want {
			t.Errorf("%s: candidate = %v, want %v", name, got, want)
		}
	}
}

func TestShebangInterpreter(t *testing.T) {
	for in, want := range map[string]string{"#!/bin/bash -e\necho": "/bin/bash", "#! /bin/sh\n": "/bin/sh", "#!\n": ""} {
		if got := shebangInterpreter([]byte(in)); got != want {
			t.Errorf("shebangInterpreter(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestMountPointsInOrder(t *testing.T) {
	mounts := "rootfs / rootfs rw 0 0\nproc /proc proc rw 0 0\n/dev/vda /run/vigil/my\\040seed iso9660 ro 0 0\n"
	if got := mountPoints(mounts); !reflect.DeepEqual(got, []string{"/", "/proc", "/run/vigil/my seed"}) {
		t.Fatalf("mountPoints = %q", got)
	}
}

func TestConsoleLogLines(t *testing.T) {
	var buf bytes.Buffer
	log := newConsoleLogger(&buf, slog.LevelInfo)
	log.Info("ready")
	log.With("vm", "a b").Warn("cloud-init: unsupported key packages ignored", "n", 1)
	log.Debug("hidden")
	want := "vigil-init: ready\nvigil-init: warn: cloud-init: unsupported key packages ignored vm=\"a b\" n=1\n"
	if buf.String() != want {
		t.Fatalf("console got:\n%s\nwant:\n%s", buf.String(), want)
	}
}

func TestCompressedModule(t *testing.T) {
	if !compressedModule("kernel/a.ko.xz") || !compressedModule("b.ko.zst") || compressedModule("c.ko") {
		t.Fatal("compressedModule misclassifies")
	}
}
