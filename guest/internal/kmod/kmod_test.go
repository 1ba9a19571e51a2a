package kmod

import (
	"errors"
	"reflect"
	"strings"
	"testing"
)

// A slice of Debian 6.1's modules.dep.
const sampleDep = `kernel/drivers/watchdog/watchdog.ko:
kernel/drivers/virtio/virtio_ring.ko:
kernel/drivers/virtio/virtio.ko: kernel/drivers/virtio/virtio_ring.ko
kernel/drivers/virtio/virtio_pci_modern_dev.ko:
kernel/drivers/virtio/virtio_pci_legacy_dev.ko:
kernel/drivers/virtio/virtio_pci.ko: kernel/drivers/virtio/virtio_pci_legacy_dev.ko kernel/drivers/virtio/virtio_pci_modern_dev.ko kernel/drivers/virtio/virtio.ko kernel/drivers/virtio/virtio_ring.ko
kernel/drivers/char/virtio_console.ko: kernel/drivers/virtio/virtio.ko kernel/drivers/virtio/virtio_ring.ko
kernel/net/core/failover.ko:
kernel/drivers/net/net_failover.ko: kernel/net/core/failover.ko
kernel/drivers/net/virtio_net.ko: kernel/drivers/net/net_failover.ko kernel/net/core/failover.ko kernel/drivers/virtio/virtio.ko kernel/drivers/virtio/virtio_ring.ko
kernel/drivers/watchdog/i6300esb.ko: kernel/drivers/watchdog/watchdog.ko
kernel/drivers/scsi/scsi_common.ko:
kernel/drivers/scsi/scsi_mod.ko: kernel/drivers/scsi/scsi_common.ko
kernel/drivers/cdrom/cdrom.ko:
kernel/drivers/scsi/sr_mod.ko: kernel/drivers/scsi/scsi_mod.ko kernel/drivers/scsi/scsi_common.ko kernel/drivers/cdrom/cdrom.ko
kernel/fs/isofs/isofs.ko: kernel/drivers/cdrom/cdrom.ko
kernel/drivers/input/misc/uinput.ko.xz:
kernel/drivers/loop/odd-name.ko: kernel/drivers/scsi/missing.ko
`

func parseSample(t *testing.T) *Deps {
	t.Helper()
	d, err := Parse(strings.NewReader(sampleDep))
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func names(paths []string) []string {
	var out []string
	for _, p := range paths {
		out = append(out, Name(p))
	}
	return out
}

func TestLoadOrderPutsDependenciesFirst(t *testing.T) {
	got, err := parseSample(t).LoadOrder([]string{"virtio_net", "i6300esb", "virtio_pci", "sr_mod", "isofs", "virtio_console"})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		"virtio_ring", "virtio", "failover", "net_failover", "virtio_net",
		"watchdog", "i6300esb",
		"virtio_pci_modern_dev", "virtio_pci_legacy_dev", "virtio_pci",
		"cdrom", "scsi_common", "scsi_mod", "sr_mod",
		"isofs", "virtio_console",
	}
	if !reflect.DeepEqual(names(got), want) {
		t.Fatalf("order\n got %v\nwant %v", names(got), want)
	}
	seen := map[string]bool{}
	d := parseSample(t)
	for _, p := range got {
		for _, dep := range d.deps[p] {
			if !seen[dep] {
				t.Errorf("%s loaded before its dependency %s", Name(p), Name(dep))
			}
		}
		seen[p] = true
	}
}

func TestNames(t *testing.T) {
	for in, want := range map[string]string{
		"kernel/drivers/input/misc/uinput.ko.xz": "uinput",
		"kernel/drivers/loop/odd-name.ko":        "odd_name",
		"i6300esb.ko":                            "i6300esb",
	} {
		if got := Name(in); got != want {
			t.Errorf("Name(%q) = %q, want %q", in, got, want)
		}
	}
	if p, ok := parseSample(t).Path("odd-name"); !ok || p != "kernel/drivers/loop/odd-name.ko" {
		t.Errorf("Path(odd-name) = %q, %v", p, ok)
	}
}

func TestLoadOrderErrors(t *testing.T) {
	d := parseSample(t)
	if _, err := d.LoadOrder([]string{"nosuch"}); !errors.Is(err, ErrUnknown) || !strings.Contains(err.Error(), "nosuch") {
		t.Errorf("unknown module: got %v", err)
	}
	if _, err := d.LoadOrder([]string{"odd_name"}); !errors.Is(err, ErrUnknown) || !strings.Contains(err.Error(), "missing.ko") {
		t.Errorf("missing dependency: got %v", err)
	}
	cyc, err := Parse(strings.NewReader("a.ko: b.ko\nb.ko: a.ko\n"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := cyc.LoadOrder([]string{"a"}); err == nil || !strings.Contains(err.Error(), "cycle") {
		t.Errorf("cycle: got %v", err)
	}
	if _, err := Parse(strings.NewReader("no colon here\n")); err == nil {
		t.Error("malformed line accepted")
	}
}

func TestSubsetKeepsFileOrder(t *testing.T) {
	d := parseSample(t)
	paths, err := d.LoadOrder([]string{"i6300esb", "virtio"})
	if err != nil {
		t.Fatal(err)
	}
	want := "kernel/drivers/watchdog/watchdog.ko:\n" +
		"kernel/drivers/virtio/virtio_ring.ko:\n" +
		"kernel/drivers/virtio/virtio.ko: kernel/drivers/virtio/virtio_ring.ko\n" +
		"kernel/drivers/watchdog/i6300esb.ko: kernel/drivers/watchdog/watchdog.ko\n"
	if got := d.Subset(paths); got != want {
		t.Fatalf("Subset:\n%s\nwant:\n%s", got, want)
	}
	again, err := Parse(strings.NewReader(d.Subset(paths)))
	if err != nil {
		t.Fatal(err)
	}
	if got, _ := again.LoadOrder([]string{"i6300esb", "virtio"}); !reflect.DeepEqual(got, paths) {
		t.Fatalf("subset order %v, want %v", got, paths)
	}
}
