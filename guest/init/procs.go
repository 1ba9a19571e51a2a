package main

import (
	"errors"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"sync"
	"syscall"
	"time"
)

// childEnv is the environment every child gets. qemu-ga's guest-exec and
// user-data scripts find programs through this PATH.
var childEnv = []string{
	"PATH=/usr/sbin:/usr/bin:/sbin:/bin",
	"HOME=/root",
	"TERM=linux",
	"SHELL=/bin/sh",
	"LANG=C.UTF-8",
}

// procSpec says how to start a child.
type procSpec struct {
	argv   []string
	env    []string   // nil: childEnv
	stdio  []*os.File // stdin, stdout, stderr; nil entries get /dev/null
	setsid bool
	ctty   bool // make stdin the controlling terminal (implies setsid)
}

// supervisor starts children and reaps every process that ends up with
// PID 1 as parent. It alone calls wait4: a second waiter would steal exit
// statuses.
type supervisor struct {
	log     *slog.Logger
	devnull *os.File
	mu      sync.Mutex
	waiters map[int]chan syscall.WaitStatus
	closed  bool // shutting down: start nothing new
}

var errShuttingDown = errors.New("shutting down")

// close makes every later start fail, so nothing new runs while shutdown
// signals every process.
func (s *supervisor) close() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.closed = true
}

// newSupervisor returns a supervisor; without /dev/null, children get the
// kernel's console as stdin instead, and an error says so.
func newSupervisor(log *slog.Logger) (*supervisor, error) {
	s := &supervisor{log: log, devnull: os.Stdin, waiters: map[int]chan syscall.WaitStatus{}}
	devnull, err := os.OpenFile(os.DevNull, os.O_RDWR, 0)
	if err != nil {
		return s, fmt.Errorf("open %s: %w", os.DevNull, err)
	}
	s.devnull = devnull
	return s, nil
}

// start runs a child and returns its pid and a channel that receives its
// exit status once.
func (s *supervisor) start(spec procSpec) (int, <-chan syscall.WaitStatus, error) {
	path, err := exec.LookPath(spec.argv[0])
	if err != nil {
		return 0, nil, fmt.Errorf("start %s: %w", spec.argv[0], err)
	}
	files := make([]uintptr, 3)
	for i := range files {
		f := s.devnull
		if i < len(spec.stdio) && spec.stdio[i] != nil {
			f = spec.stdio[i]
		}
		files[i] = f.Fd()
	}
	env := spec.env
	if env == nil {
		env = childEnv
	}
	attr := &syscall.ProcAttr{Dir: "/", Env: env, Files: files, Sys: &syscall.SysProcAttr{
		Setsid: spec.setsid || spec.ctty, Setctty: spec.ctty, Ctty: 0,
	}}
	// Hold the lock across fork so the reaper cannot see the pid before it is registered.
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return 0, nil, fmt.Errorf("start %s: %w", path, errShuttingDown)
	}
	pid, err := syscall.ForkExec(path, spec.argv, attr)
	if err != nil {
		return 0, nil, fmt.Errorf("start %s: %w", path, err)
	}
	ch := make(chan syscall.WaitStatus, 1)
	s.waiters[pid] = ch
	s.log.Debug("started", "argv", fmt.Sprint(spec.argv), "pid", pid)
	return pid, ch, nil
}

// reap collects every exited child without blocking; run it on SIGCHLD.
func (s *supervisor) reap() {
	for {
		var ws syscall.WaitStatus
		pid, err := syscall.Wait4(-1, &ws, syscall.WNOHANG, nil)
		if errors.Is(err, syscall.EINTR) {
			continue
		}
		if pid <= 0 || err != nil {
			return
		}
		s.mu.Lock()
		ch, ok := s.waiters[pid]
		delete(s.waiters, pid)
		s.mu.Unlock()
		if ok {
			ch <- ws
			continue
		}
		s.log.Debug("reaped orphan", "pid", pid, "status", describeStatus(ws))
	}
}

var errStillRunning = errors.New("still running")

// run starts a child and waits up to timeout for it; on timeout the child
// is left running and errStillRunning is returned.
func (s *supervisor) run(spec procSpec, timeout time.Duration) (syscall.WaitStatus, error) {
	pid, done, err := s.start(spec)
	if err != nil {
		return 0, err
	}
	select {
	case ws := <-done:
		return ws, nil
	case <-time.After(timeout):
		return 0, fmt.Errorf("%s (pid %d) after %s: %w", spec.argv[0], pid, timeout, errStillRunning)
	}
}

// runOK is run that also turns a non-zero exit into an error.
func (s *supervisor) runOK(spec procSpec, timeout time.Duration) error {
	ws, err := s.run(spec, timeout)
	if err != nil {
		return err
	}
	if !ws.Exited() || ws.ExitStatus() != 0 {
		return fmt.Errorf("%s: %s", spec.argv[0], describeStatus(ws))
	}
	return nil
}

func describeStatus(ws syscall.WaitStatus) string {
	switch {
	case ws.Exited():
		return fmt.Sprintf("exit status %d", ws.ExitStatus())
	case ws.Signaled():
		return fmt.Sprintf("killed by signal %d (%s)", int(ws.Signal()), ws.Signal())
	}
	return fmt.Sprintf("status %#x", uint32(ws))
}
