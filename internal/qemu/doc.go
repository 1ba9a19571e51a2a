// Package qemu runs one QEMU process per VMI: it builds the command line,
// starts QEMU detached from the daemon, confirms the start, watches the
// process and its QMP events, stops it, and finds it again after a daemon
// restart.
//
// It owns: the argv (LaunchSpec.Args, pinned by golden files in testdata),
// the mapping from a VMI to a LaunchSpec (SpecFromVMI), the choice of
// accelerator (DetectAccel), the run directory's layout (RunDir: qmp.sock,
// qga.sock, console.sock, console.log, qemu.log, qemu.pid, vmi.json), and
// the QEMU process's life (Launch, Reattach, Process, Cleanup).
//
// It must not: create taps, disk images, overlays or cloud-init ISOs (the
// node prepares them and passes paths and names in Resolved), decide a
// VMI's phase (Outcome reports what QEMU said; the node decides), or speak
// to the guest agent (internal/qga). It reaches QEMU only through
// internal/qmp.
//
// Why no libvirt: one QEMU per VMI with nothing beside it costs ~30 MiB
// instead of KubeVirt's ~220 MiB of helpers, and QMP gives the events
// (SHUTDOWN, WATCHDOG, RESET) first hand.
//
// Decisions:
//   - QEMU always starts with -S; Launch connects QMP and starts reading
//     events before it sends cont, so no event of the guest's life is
//     missed. StartStrategy Paused just leaves out the cont.
//   - QEMU survives the daemon: own session, stdin /dev/null, output to
//     qemu.log, no pipes. The pidfile plus /proc/PID/cmdline, which must
//     carry the VMI UID as an SMBIOS OEM string (UIDOEMString), let a new
//     daemon Reattach; -uuid cannot serve, since it is the firmware UUID
//     when the VMI sets one.
//   - Death is proven only by the process: a pidfd (pidfd_open(2), which
//     works for any process, not only children) becoming readable, then
//     wait(2) for a child's status. A QMP timeout or EOF is never taken for
//     an exit. Signals go through the pidfd too, so a reused pid is never
//     hit. The pidfd is watched in the Go runtime's poller: a blocking
//     wait(2) or poll(2) would hold an OS thread per VM for its whole life.
//   - -action shutdown=poweroff makes QEMU exit when the guest powers off;
//     reboot=reset keeps it running across guest reboots.
//   - Under TCG, -accel tcg,tb-size=TBSizeFor(memory) bounds the
//     translation cache, which otherwise dominates QEMU's RSS.
//   - The serial console is a socket chardev with a logfile: console.log
//     keeps everything the guest printed whether or not anyone is attached.
//   - QEMU's QMP socket takes one client at a time, and the Process owns
//     it and its event stream: callers read events from Process.Events,
//     and Close a Process before another one Reattaches.
package qemu
