package main

import (
	"os"
	"slices"
	"strings"
	"time"
)

const (
	agentPort = "org.qemu.guest_agent.0"
	agentPid  = "/run/qga.pid"
	// agentPortWait bounds the wait for the virtio-serial port after
	// virtio_console loaded: ports are announced by the host asynchronously.
	agentPortWait = 3 * time.Second
	// agentStartWait bounds qemu-ga's daemonizing parent.
	agentStartWait = 10 * time.Second
)

// pidFileWait bounds the wait for a daemon's child to write its pid file
// after the parent exited.
const pidFileWait = time.Second

// readPidFile returns the pid a daemon wrote, for the log ("" if none yet).
func readPidFile(path string) string {
	var pid string
	waitFor(pidFileWait, func() bool {
		raw, _ := os.ReadFile(path)
		pid = strings.TrimSpace(string(raw))
		return pid != ""
	})
	return pid
}

// startAgent starts qemu-ga once, daemonized. init never restarts it: a
// caller that stops the agent in the guest expects it to stay stopped.
func (in *initProc) startAgent() {
	var names []string
	found := waitFor(agentPortWait, func() bool {
		names, _ = linkVirtioPorts()
		return slices.Contains(names, agentPort)
	})
	if _, err := linkVirtioPorts(); err != nil {
		in.log.Warn("virtio-ports links incomplete", "err", err)
	}
	if !found {
		in.log.Info("no guest agent channel; qemu-ga not started", "ports", strings.Join(names, ","))
		return
	}
	argv := []string{"/usr/sbin/qemu-ga", "-m", "virtio-serial", "-p", "/dev/virtio-ports/" + agentPort, "-d", "-f", agentPid}
	if err := in.sup.runOK(procSpec{argv: argv, stdio: in.stdio()}, agentStartWait); err != nil {
		in.log.Error("qemu-ga did not start", "err", err)
		return
	}
	in.log.Info("qemu-ga started", "pid", readPidFile(agentPid))
}
