// Package image builds vigil's "tiny" guest: a direct-boot kernel and a
// gzip'd newc initramfs assembled from the host's own Debian packages, for
// `vigil image build tiny` and for tests that need a real guest in seconds.
//
// BuildTiny writes three files into Options.OutDir:
//
//	vmlinuz        the host's kernel (/boot/vmlinuz-VERSION), copied
//	initrd         gzip'd newc cpio: /init (vigil's Go init, guest/init),
//	               busybox-static with its applets, qemu-ga, Debian's watchdog
//	               daemon, lspci (+pci.ids), pkill, their shared libraries and
//	               loader (found with ldd), the kernel modules a VM needs
//	               (virtio, i6300esb, isofs, CD-ROM, power button) with a
//	               trimmed modules.dep, and /etc (passwd, group, watchdog.conf,
//	               os-release, udhcpc's script)
//	manifest.json  what went in: kernel version, package versions
//	               (dpkg-query), every file with size, sha256 of both images
//
// Boot it with: qemu-system-x86_64 -kernel vmlinuz -initrd initrd
// -append "console=ttyS0 panic=-1" (see guest/init for vigil.* options).
// The guest prints "vigil-init: ready" on the console when booted.
//
// Inputs the host must have: linux-image-amd64, busybox-static,
// qemu-guest-agent, watchdog, pciutils, procps, and a Go toolchain plus this
// module's source unless Options.InitBinary names a prebuilt init.
//
// Watchdog: the guest starts the watchdog daemon at boot when it has a
// /dev/watchdog (an i6300esb), with watchdog-timeout 10 s, so a guest that
// stops feeding it (pkill -9 watchdog) sees the device act ~10 s later
// (measured under TCG). A kernel panic reboots at once with panic=-1; give
// the guest panic=0 if the watchdog should catch panics instead.
// A user-data write_files entry for /etc/watchdog.conf replaces the
// configuration before the daemon starts.
//
// This package only reads the host and writes OutDir; it does not run VMs
// and does not know about the image store or VMIs. The cpio format is
// written by guest/internal/newc (no shelling out to cpio: it would need
// root for /dev/console and cannot be checked from Go).
package image
