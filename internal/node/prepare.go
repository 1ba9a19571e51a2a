package node

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"

	"k8s.io/apimachinery/pkg/util/validation/field"

	v1 "vigil.dev/vigil/api/v1"
	"vigil.dev/vigil/internal/cloudinit"
	"vigil.dev/vigil/internal/images"
	"vigil.dev/vigil/internal/network"
	"vigil.dev/vigil/internal/qemu"
)

// cidataFile is the cloud-init seed disk's name in the run directory.
const cidataFile = "cidata.iso"

// startError is a reason a VMI cannot start: reason goes to
// status.reason, err (naming the field or object) to status.message.
type startError struct {
	reason string
	err    error
}

func (e *startError) Error() string { return e.reason + ": " + e.err.Error() }
func (e *startError) Unwrap() error { return e.err }

func failWith(reason string, err error) *startError { return &startError{reason: reason, err: err} }

// prepared is what prepare made for a VMI.
type prepared struct {
	resolved qemu.Resolved
	net      *netInfo
}

// prepare makes everything QEMU needs for vmi: an empty run directory, the
// tap and lease, the kernel files, the volumes' files. On error the caller
// removes what was made (cleanupHost).
func (a *Agent) prepare(ctx context.Context, vmi *v1.VirtualMachineInstance) (*prepared, *startError) {
	dir := a.cfg.runDir(string(vmi.UID))
	if err := os.RemoveAll(dir); err != nil { // a start that was cut short
		return nil, failWith(ReasonPrepareFailed, fmt.Errorf("run directory %s: %w", dir, err))
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, failWith(ReasonPrepareFailed, fmt.Errorf("run directory %s: %w", dir, err))
	}
	r := qemu.Resolved{RunDir: dir, Accel: a.accel, Volumes: map[string]qemu.Volume{},
		Taps: map[string]string{}, MACs: map[string]string{}}
	ni, serr := a.prepareNetwork(ctx, vmi, &r)
	if serr != nil {
		return nil, serr
	}
	if serr := a.prepareKernel(vmi, &r); serr != nil {
		return nil, serr
	}
	for i := range vmi.Spec.Volumes {
		if serr := a.prepareVolume(ctx, vmi, i, dir, &r); serr != nil {
			return nil, serr
		}
	}
	return &prepared{resolved: r, net: ni}, nil
}

// netFor returns the VMI's network: its first interface, the address its
// status records (reserved again) or a new one, and its MAC.
func (a *Agent) netFor(vmi *v1.VirtualMachineInstance) (*netInfo, error) {
	ifaces := vmi.Spec.Domain.Devices.Interfaces
	if len(ifaces) == 0 {
		return nil, nil
	}
	iface := ifaces[0]
	mac := strings.ToLower(iface.MacAddress)
	if mac == "" {
		mac = network.MACFor(string(vmi.UID)).String()
	}
	uid := string(vmi.UID)
	ip, ok := recordedIP(vmi, iface.Name)
	var err error
	if ok {
		err = a.alloc.Reserve(uid, ip)
	} else {
		ip, err = a.alloc.Allocate(uid)
	}
	if err != nil {
		return nil, fmt.Errorf("address of interface %q: %w", iface.Name, err)
	}
	return &netInfo{Name: iface.Name, IP: ip, MAC: mac}, nil
}

func (a *Agent) prepareNetwork(ctx context.Context, vmi *v1.VirtualMachineInstance, r *qemu.Resolved) (*netInfo, *startError) {
	if n := len(vmi.Spec.Domain.Devices.Interfaces); n > 1 {
		return nil, failWith(ReasonInvalidSpec, fmt.Errorf("spec.domain.devices.interfaces: %d interfaces, "+
			"but a VMI gets one interface on the host's VM network", n))
	}
	ni, err := a.netFor(vmi)
	if err != nil {
		return nil, failWith(ReasonPrepareFailed, err)
	}
	if ni == nil {
		return nil, nil
	}
	tap, err := a.attachNet(ctx, vmi, ni)
	if err != nil {
		return nil, failWith(ReasonPrepareFailed, err)
	}
	r.Taps[ni.Name] = tap
	r.MACs[ni.Name] = ni.MAC
	return ni, nil
}

// attachNet creates (or adopts) the VMI's tap and DHCP lease.
func (a *Agent) attachNet(ctx context.Context, vmi *v1.VirtualMachineInstance, ni *netInfo) (string, error) {
	mac, err := net.ParseMAC(ni.MAC)
	if err != nil {
		return "", fmt.Errorf("interface %q: mac %q: %w", ni.Name, ni.MAC, err)
	}
	tap, err := a.host.Attach(ctx, string(vmi.UID), ni.IP, mac)
	if err != nil {
		return "", fmt.Errorf("network of interface %q: %w", ni.Name, err)
	}
	return tap, nil
}

func (a *Agent) prepareKernel(vmi *v1.VirtualMachineInstance, r *qemu.Resolved) *startError {
	fw := vmi.Spec.Domain.Firmware
	if fw == nil || fw.KernelBoot == nil {
		return nil
	}
	kernel, initrd, err := a.images.ResolveKernelBoot(fw.KernelBoot)
	switch {
	case errors.Is(err, images.ErrNotFound):
		return failWith(ReasonImageNotFound, err)
	case err != nil:
		return failWith(ReasonInvalidSpec, err)
	}
	r.Kernel, r.Initrd = kernel, initrd
	return nil
}

// prepareVolume makes the file the guest gets for spec.volumes[i].
func (a *Agent) prepareVolume(ctx context.Context, vmi *v1.VirtualMachineInstance, i int, dir string, r *qemu.Resolved) *startError {
	v := &vmi.Spec.Volumes[i]
	p := field.NewPath("spec", "volumes").Index(i)
	switch {
	case v.ContainerDisk != nil:
		file := filepath.Join(dir, fmt.Sprintf("containerdisk-%d.img", i))
		format, err := a.images.PrepareContainerDisk(ctx, v.ContainerDisk.Image, file)
		switch {
		case errors.Is(err, images.ErrNotFound):
			return failWith(ReasonImageNotFound, fmt.Errorf("%s: %w", p.Child("containerDisk", "image"), err))
		case err != nil:
			return failWith(ReasonPrepareFailed, fmt.Errorf("%s: %w", p.Child("containerDisk"), err))
		}
		r.Volumes[v.Name] = qemu.Volume{Path: file, Format: format}
	case v.CloudInitNoCloud != nil:
		nc, err := cloudinit.FromVMI(vmi)
		if err != nil {
			return failWith(ReasonInvalidSpec, err)
		}
		iso := filepath.Join(dir, cidataFile)
		if err := cloudinit.BuildNoCloud(iso, *nc); err != nil {
			return failWith(ReasonPrepareFailed, fmt.Errorf("%s: %w", p.Child("cloudInitNoCloud"), err))
		}
		r.Volumes[v.Name] = qemu.Volume{Path: iso, Format: qemu.FormatRaw}
	case v.HostDisk != nil:
		vol, err := hostDisk(v.HostDisk, p.Child("hostDisk"))
		if err != nil {
			return failWith(ReasonPrepareFailed, err)
		}
		r.Volumes[v.Name] = vol
	case v.EmptyDisk != nil:
		file := filepath.Join(dir, fmt.Sprintf("emptydisk-%d.img", i))
		if err := sparseFile(file, v.EmptyDisk.Capacity.Value()); err != nil {
			return failWith(ReasonPrepareFailed, fmt.Errorf("%s: %w", p.Child("emptyDisk"), err))
		}
		r.Volumes[v.Name] = qemu.Volume{Path: file, Format: qemu.FormatRaw}
	default:
		return failWith(ReasonInvalidSpec, fmt.Errorf("%s: no volume source set", p))
	}
	return nil
}

// hostDisk resolves a hostDisk volume: the file must exist (type Disk) or
// is created sparse with the capacity (DiskOrCreate). A qcow2 file is
// given to QEMU as qcow2, anything else as raw.
func hostDisk(hd *v1.HostDisk, p *field.Path) (qemu.Volume, error) {
	_, err := os.Stat(hd.Path)
	switch {
	case errors.Is(err, os.ErrNotExist) && hd.Type == v1.HostDiskExistsOrCreate:
		if err := sparseFile(hd.Path, hd.Capacity.Value()); err != nil {
			return qemu.Volume{}, fmt.Errorf("%s: creating %s: %w", p.Child("path"), hd.Path, err)
		}
	case err != nil:
		return qemu.Volume{}, fmt.Errorf("%s: %w", p.Child("path"), err)
	}
	format, err := diskFormat(hd.Path)
	if err != nil {
		return qemu.Volume{}, fmt.Errorf("%s: %w", p.Child("path"), err)
	}
	return qemu.Volume{Path: hd.Path, Format: format}, nil
}

// qcow2Magic starts every qcow2 file.
var qcow2Magic = []byte{'Q', 'F', 'I', 0xfb}

func diskFormat(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	head := make([]byte, len(qcow2Magic))
	if _, err := io.ReadFull(f, head); err == nil && bytes.Equal(head, qcow2Magic) {
		return qemu.FormatQCOW2, nil
	}
	return qemu.FormatRaw, nil
}

// sparseFile creates path with size bytes and no data (it must not exist).
func sparseFile(path string, size int64) error {
	if size <= 0 {
		return fmt.Errorf("capacity must be greater than 0")
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return err
	}
	if err := f.Truncate(size); err != nil {
		f.Close()
		os.Remove(path)
		return err
	}
	return f.Close()
}
