package main

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"

	"golang.org/x/sys/unix"
)

type mountSpec struct {
	source, target, fstype string
	flags                  uintptr
	data                   string
}

// earlyMounts are the filesystems every program in the guest expects.
var earlyMounts = []mountSpec{
	{"proc", "/proc", "proc", unix.MS_NOSUID | unix.MS_NODEV | unix.MS_NOEXEC, ""},
	{"sysfs", "/sys", "sysfs", unix.MS_NOSUID | unix.MS_NODEV | unix.MS_NOEXEC, ""},
	{"devtmpfs", "/dev", "devtmpfs", unix.MS_NOSUID, "mode=0755"},
	{"devpts", "/dev/pts", "devpts", unix.MS_NOSUID | unix.MS_NOEXEC, "gid=5,mode=0620,ptmxmode=0666"},
	{"tmpfs", "/dev/shm", "tmpfs", unix.MS_NOSUID | unix.MS_NODEV, "mode=1777"},
	{"tmpfs", "/run", "tmpfs", unix.MS_NOSUID | unix.MS_NODEV, "mode=0755"},
	{"tmpfs", "/tmp", "tmpfs", unix.MS_NOSUID | unix.MS_NODEV, "mode=1777"},
}

// devLinks are the /dev symlinks udev or systemd would make.
var devLinks = [][2]string{
	{"/proc/self/fd", "/dev/fd"},
	{"/proc/self/fd/0", "/dev/stdin"},
	{"/proc/self/fd/1", "/dev/stdout"},
	{"/proc/self/fd/2", "/dev/stderr"},
}

// mountEarly mounts the kernel filesystems. A mount that is already there
// (EBUSY) is fine; any other failure is returned but the rest still run.
func mountEarly() error {
	var errs []error
	for _, m := range earlyMounts {
		if err := os.MkdirAll(m.target, 0o755); err != nil {
			errs = append(errs, fmt.Errorf("mkdir %s: %w", m.target, err))
			continue
		}
		err := unix.Mount(m.source, m.target, m.fstype, m.flags, m.data)
		if err != nil && !errors.Is(err, unix.EBUSY) {
			errs = append(errs, fmt.Errorf("mount %s on %s: %w", m.fstype, m.target, err))
		}
	}
	for _, l := range devLinks {
		if err := os.Symlink(l[0], l[1]); err != nil && !errors.Is(err, os.ErrExist) {
			errs = append(errs, fmt.Errorf("symlink %s: %w", l[1], err))
		}
	}
	for _, d := range []string{"/run/vigil", "/run/cloud-init", "/var/log", "/var/log/watchdog"} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			errs = append(errs, fmt.Errorf("mkdir %s: %w", d, err))
		}
	}
	return errors.Join(errs...)
}

// mountPoints lists the mount points in /proc/mounts, in mount order.
func mountPoints(mounts string) []string {
	var out []string
	sc := bufio.NewScanner(strings.NewReader(mounts))
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) >= 2 {
			out = append(out, strings.ReplaceAll(f[1], `\040`, " "))
		}
	}
	return out
}

// unmountAll unmounts everything but the root, newest first; it is the last
// step before power-off, so failures are only reported.
func unmountAll() []error {
	data, err := os.ReadFile("/proc/mounts")
	if err != nil {
		return []error{fmt.Errorf("read /proc/mounts: %w", err)}
	}
	var errs []error
	for _, mp := range slices.Backward(mountPoints(string(data))) {
		if mp == "/" {
			continue
		}
		if err := unix.Unmount(mp, 0); err != nil && !errors.Is(err, unix.EINVAL) {
			// Busy kernel filesystems (/proc, /sys, /dev) cannot go while we run; that is fine.
			if err := unix.Unmount(mp, unix.MNT_DETACH); err != nil {
				errs = append(errs, fmt.Errorf("unmount %s: %w", mp, err))
			}
		}
	}
	return errs
}
