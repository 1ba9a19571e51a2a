// Command init is PID 1 of vigil's tiny guest: a static Go program (only the
// standard library and golang.org/x/sys) that the image builder puts at
// /init in the initramfs.
//
// It owns the guest's life from boot to power-off: it mounts the kernel
// filesystems, loads the kernel modules listed in /etc/vigil/modules.load
// in dependency order, names the virtio-serial ports as udev would
// (/dev/virtio-ports/NAME), applies cloud-init NoCloud data from a disk
// labelled "cidata" (meta-data hostname; user-data "#!" scripts or a
// #cloud-config subset: write_files, bootcmd, runcmd, hostname), brings up
// the first ethernet interface with busybox udhcpc, starts qemu-guest-agent
// and the watchdog daemon once each (never restarting them: a test that
// stops them means it), reaps orphans, keeps a shell on the serial console
// (started after boot, like a getty; respawned), and powers off cleanly on the ACPI power button or on busybox
// poweroff/reboot/halt (SIGUSR2/SIGTERM/SIGUSR1).
//
// It prints "vigil-init: ready" on the console when boot is done: the agent
// is started and user-data is launched. Shutdown: SIGHUP to the console
// shell, SIGTERM to everything, SIGKILL after 3 s, sync, unmount, then
// reboot(2) with POWER_OFF, RESTART or HALT.
//
// Kernel command line: vigil.debug=1 (more logs), vigil.hostname=NAME (the
// default before meta-data), vigil.watchdog=0 (do not start the watchdog
// daemon even when /dev/watchdog exists), vigil.shell=0 (no serial shell).
// panic= is the kernel's own.
//
// Rule for this program: every child is started through the supervisor in
// procs.go, which alone calls wait4; never use os/exec's Wait here.
package main
