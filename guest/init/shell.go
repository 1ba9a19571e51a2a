package main

import (
	"os"
	"time"
)

const (
	serialTTY = "/dev/ttyS0"
	// respawnPause keeps a shell that dies at once (a broken tty) from
	// spinning; a user typing "exit" gets a new prompt after it.
	respawnPause = time.Second
)

var shellEnv = []string{
	"PATH=/usr/sbin:/usr/bin:/sbin:/bin",
	"HOME=/root",
	"TERM=vt100",
	"SHELL=/bin/sh",
	"LANG=C.UTF-8",
}

// serialShell keeps a login shell on the serial console (for `vigil console`),
// respawning it until shutdown.
func (in *initProc) serialShell() {
	for !in.stopping.Load() {
		tty, err := os.OpenFile(serialTTY, os.O_RDWR, 0)
		if err != nil {
			in.log.Warn("no serial console shell", "tty", serialTTY, "err", err)
			return
		}
		spec := procSpec{argv: []string{"/bin/sh", "-l"}, env: shellEnv, stdio: []*os.File{tty, tty, tty}, ctty: true}
		pid, done, err := in.sup.start(spec)
		tty.Close()
		if err != nil {
			in.log.Warn("no serial console shell", "err", err)
			return
		}
		in.log.Debug("console shell started", "pid", pid, "tty", serialTTY)
		in.shellPid.Store(int64(pid))
		<-done
		in.shellPid.Store(0)
		time.Sleep(respawnPause)
	}
}
