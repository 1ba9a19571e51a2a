package main

import "time"

const (
	watchdogDev = "/dev/watchdog"
	watchdogPid = "/run/watchdog.pid"
	// watchdogStartWait bounds the daemon's forking parent.
	watchdogStartWait = 10 * time.Second
)

// startWatchdogDaemon starts Debian's watchdog daemon when the VM has a
// watchdog device, as a guest with the watchdog service enabled would.
// Once it has opened the device, the device fires unless fed: init never
// restarts the daemon, so `pkill -9 watchdog` lets the device act.
func (in *initProc) startWatchdogDaemon() {
	if !in.cfg.watchdog {
		in.log.Info("watchdog daemon disabled on the kernel command line")
		return
	}
	if !exists(watchdogDev) {
		in.log.Info("no watchdog device; watchdog daemon not started")
		return
	}
	if err := in.sup.runOK(procSpec{argv: []string{"/usr/sbin/watchdog"}, stdio: in.stdio()}, watchdogStartWait); err != nil {
		in.log.Error("watchdog daemon did not start", "err", err)
		return
	}
	in.log.Info("watchdog daemon started", "pid", readPidFile(watchdogPid), "dev", watchdogDev)
}
