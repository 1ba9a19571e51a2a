package main

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// powerAction is how the guest ends.
type powerAction int

const (
	actPoweroff powerAction = iota
	actReboot
	actHalt
)

func (a powerAction) String() string {
	return [...]string{"poweroff", "reboot", "halt"}[a]
}

func (a powerAction) rebootCmd() int {
	return [...]int{unix.LINUX_REBOOT_CMD_POWER_OFF, unix.LINUX_REBOOT_CMD_RESTART, unix.LINUX_REBOOT_CMD_HALT}[a]
}

// actionForSignal maps the signals busybox's poweroff (SIGUSR2), reboot
// (SIGTERM) and halt (SIGUSR1) send to PID 1, and Ctrl-Alt-Del (SIGINT, once
// the kernel is told to pass it on), to what init does.
func actionForSignal(sig os.Signal) (powerAction, bool) {
	switch sig {
	case syscall.SIGUSR2, syscall.SIGPWR:
		return actPoweroff, true
	case syscall.SIGTERM, syscall.SIGINT:
		return actReboot, true
	case syscall.SIGUSR1:
		return actHalt, true
	}
	return 0, false
}

const (
	// termGrace is how long processes get between SIGTERM and SIGKILL.
	termGrace = 3 * time.Second
	// killWait bounds the wait for SIGKILLed processes to be reaped.
	killWait = 2 * time.Second
)

// shutdown stops every process, unmounts and ends the machine. It does not return.
func (in *initProc) shutdown(act powerAction) {
	in.stopping.Store(true)
	in.sup.close()
	in.log.Info("shutting down", "action", act.String())
	if pid := int(in.shellPid.Load()); pid > 0 {
		// An interactive shell ignores SIGTERM; a hangup ends its session.
		_ = syscall.Kill(-pid, syscall.SIGHUP)
	}
	_ = syscall.Kill(-1, syscall.SIGTERM)
	if !waitFor(termGrace, func() bool { return len(userProcesses()) == 0 }) {
		in.log.Warn("processes left after SIGTERM; sending SIGKILL", "grace", termGrace, "left", strings.Join(userProcesses(), ","))
		_ = syscall.Kill(-1, syscall.SIGKILL)
		waitFor(killWait, func() bool { return len(userProcesses()) == 0 })
	}
	unix.Sync()
	for _, err := range unmountAll() {
		in.log.Debug("unmount", "err", err)
	}
	unix.Sync()
	in.log.Info("goodbye", "action", act.String())
	// Let the UART send the last lines before the machine goes away (tcdrain).
	_ = unix.IoctlSetInt(int(in.console.Fd()), unix.TCSBRK, 1)
	for {
		err := unix.Reboot(act.rebootCmd())
		in.log.Error("reboot syscall failed", "action", act.String(), "err", err)
		time.Sleep(time.Second)
	}
}

// userProcesses lists "pid:name" of every user-space process but PID 1.
// Kernel threads and zombies have no /proc/PID/exe.
func userProcesses() []string {
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return nil
	}
	var out []string
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil || pid == 1 {
			continue
		}
		exe, err := os.Readlink(filepath.Join("/proc", e.Name(), "exe"))
		if err == nil {
			out = append(out, e.Name()+":"+filepath.Base(exe))
		}
	}
	return out
}
