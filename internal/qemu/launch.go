package qemu

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"os/exec"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
	"k8s.io/apimachinery/pkg/types"

	"vigil.dev/vigil/internal/qmp"
)

// DefaultQEMUBinary is looked up in PATH when LaunchOptions names none.
const DefaultQEMUBinary = "qemu-system-x86_64"

// DefaultStartTimeout bounds how long Launch waits for a new QEMU's
// pidfile and QMP socket. QEMU opens both within a second even on a busy
// host under TCG; the margin is for hosts starting many VMs at once.
const DefaultStartTimeout = 30 * time.Second

// startPollInterval is how often Launch looks for the pidfile and tries
// the QMP socket while QEMU starts.
const startPollInterval = 20 * time.Millisecond

// qemuEnv is QEMU's whole environment: nothing of the daemon's leaks in.
var qemuEnv = []string{"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "LC_ALL=C"}

// LaunchOptions tune Launch. The zero value is usable.
type LaunchOptions struct {
	// QEMUBinary is the emulator (a path or a name looked up in PATH);
	// default DefaultQEMUBinary.
	QEMUBinary string
	// StartTimeout bounds the wait for the pidfile and QMP; default
	// DefaultStartTimeout. The ctx deadline applies too.
	StartTimeout time.Duration
	// Logger gets the process's logs, with vmi, uid and pid keys added;
	// default slog.Default().
	Logger *slog.Logger
	// QMP tunes the QMP client (its Logger defaults to Logger with the
	// vmi, uid and pid keys).
	QMP qmp.Options
}

// Launch starts the VMI's QEMU, detached from the daemon, and confirms it
// came up. QEMU gets its own session (setsid), /dev/null as stdin and
// RunDir/qemu.log as stdout and stderr, and no pipe to the daemon, so the
// daemon may die (even by SIGKILL) and QEMU runs on, to be found by
// Reattach.
//
// QEMU always starts with its vCPUs stopped (-S). Launch waits for the
// pidfile (it must name the process it started) and the QMP socket,
// connects QMP, starts watching events, and only then sends cont (unless
// spec.Paused): no event of the guest's life can be missed. If QEMU does
// not come up, Launch kills it and returns ErrStartFailed with the end of
// qemu.log. ctx bounds only the start; it does not govern QEMU's life.
func Launch(ctx context.Context, spec *LaunchSpec, opts LaunchOptions) (*Process, error) {
	if err := spec.Validate(); err != nil {
		return nil, err
	}
	opts, err := opts.withDefaults()
	if err != nil {
		return nil, fmt.Errorf("launching vmi %s/%s: %w", spec.Namespace, spec.Name, err)
	}
	log := opts.Logger.With("vmi", spec.Namespace+"/"+spec.Name, "uid", spec.UID)
	d := RunDir(spec.RunDir)
	if err := prepareRunDir(d, spec); err != nil {
		return nil, fmt.Errorf("launching vmi %s/%s: %w", spec.Namespace, spec.Name, err)
	}
	cmd, err := startDetached(d, spec.Args(opts.QEMUBinary))
	if err != nil {
		return nil, fmt.Errorf("launching vmi %s/%s: %w", spec.Namespace, spec.Name, err)
	}
	pid := cmd.Process.Pid
	log.Info("qemu: started", "pid", pid, "accel", spec.Accel, "memoryMiB", spec.MemoryMiB)
	exitCh := make(chan ExitInfo, 1)
	pidfd, err := openPidfd(pid) // before anything can reap it
	var watch *exitWatch
	if err == nil {
		if watch, err = watchExit(pidfd); err != nil {
			unix.Close(pidfd)
		}
	}
	go func() {
		// The watch parks this goroutine without an OS thread until QEMU
		// is gone (also after Close: a child is always reaped); Wait then
		// only reaps. Without a watch, Wait blocks as it would anyway.
		if watch != nil {
			watch.wait()
		}
		cmd.Wait() // the status is in ProcessState
		exitCh <- exitInfo(cmd.ProcessState)
	}()
	if err != nil {
		cmd.Process.Kill() // the wait above reaps it
		return nil, fmt.Errorf("launching vmi %s/%s: %w", spec.Namespace, spec.Name, err)
	}
	p := newProcess(spec.UID, d, pid, pidfd, log, false)
	qmpOpts := opts.QMP
	if qmpOpts.Logger == nil {
		qmpOpts.Logger = log.With("pid", pid)
	}
	client, err := confirmStart(ctx, d, pid, exitCh, opts.StartTimeout, qmpOpts)
	if err != nil {
		p.abort(exitCh)
		return nil, fmt.Errorf("launching vmi %s/%s: %w: %w: %s", spec.Namespace, spec.Name, ErrStartFailed, err, logTail(d.QEMULog()))
	}
	p.start(client, exitCh)
	if !spec.Paused {
		if err := client.Cont(ctx); err != nil {
			p.Kill()
			select {
			case <-p.Exited():
			case <-time.After(reapTimeout):
				log.Error("qemu: not gone after SIGKILL", "pid", pid, "timeout", reapTimeout)
			}
			return nil, fmt.Errorf("launching vmi %s/%s: starting the vcpus: %w", spec.Namespace, spec.Name, err)
		}
	}
	log.Info("qemu: running", "pid", pid, "paused", spec.Paused)
	return p, nil
}

func (o LaunchOptions) withDefaults() (LaunchOptions, error) {
	if o.QEMUBinary == "" {
		o.QEMUBinary = DefaultQEMUBinary
	}
	bin, err := exec.LookPath(o.QEMUBinary)
	if err != nil {
		return o, fmt.Errorf("qemu binary: %w", err)
	}
	o.QEMUBinary = bin
	if o.StartTimeout <= 0 {
		o.StartTimeout = DefaultStartTimeout
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	return o, nil
}

// prepareRunDir makes the run directory private (0700: the sockets in it
// control the VM), refuses a directory whose QEMU still runs, clears what
// a dead QEMU left behind and records the VMI's identity.
func prepareRunDir(d RunDir, spec *LaunchSpec) error {
	if err := os.MkdirAll(string(d), 0o700); err != nil {
		return fmt.Errorf("creating run directory: %w", err)
	}
	if err := os.Chmod(string(d), 0o700); err != nil {
		return fmt.Errorf("run directory: %w", err)
	}
	owners := []types.UID{spec.UID}
	if id, err := readIdentity(d); err == nil && id.UID != spec.UID {
		owners = append(owners, id.UID) // the directory is reused: its QEMU must be gone too
	}
	for _, uid := range owners {
		if pid, err := findProcess(d, uid); err == nil {
			return fmt.Errorf("run directory %s: pid %d of vmi uid %s: %w", d, pid, uid, ErrStillRunning)
		}
	}
	for _, f := range []string{d.QMP(), d.GuestAgent(), d.Console(), d.PIDFile()} {
		if err := os.Remove(f); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("removing stale %s: %w", f, err)
		}
	}
	return writeIdentity(d, Identity{UID: spec.UID, Namespace: spec.Namespace, Name: spec.Name})
}

// startDetached starts argv in its own session with qemu.log as output.
func startDetached(d RunDir, argv []string) (*exec.Cmd, error) {
	logf, err := os.OpenFile(d.QEMULog(), os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o600)
	if err != nil {
		return nil, fmt.Errorf("opening qemu log: %w", err)
	}
	defer logf.Close() // the child holds its own copy
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Dir = string(d)
	cmd.Env = qemuEnv
	cmd.Stdout, cmd.Stderr = logf, logf // *os.File: passed as is, no copying goroutine
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("starting %s: %w", argv[0], err)
	}
	return cmd, nil
}

// confirmStart waits until the pidfile names pid and QMP answers.
// A QEMU that exits meanwhile has its ExitInfo put back into exitCh.
func confirmStart(ctx context.Context, d RunDir, pid int, exitCh chan ExitInfo, timeout time.Duration,
	qmpOpts qmp.Options) (*qmp.Client, error) {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	tick := time.NewTicker(startPollInterval)
	defer tick.Stop()
	var lastErr error
	for {
		if got, err := readPidfile(d); err != nil || got != pid {
			lastErr = fmt.Errorf("pidfile %s does not name pid %d yet", d.PIDFile(), pid)
		} else if client, err := qmp.Dial(ctx, d.QMP(), qmpOpts); err != nil {
			lastErr = err
		} else {
			return client, nil
		}
		select {
		case info := <-exitCh:
			exitCh <- info
			return nil, fmt.Errorf("qemu exited during start (code %d, signal %d)", info.Code, info.Signal)
		case <-ctx.Done():
			return nil, fmt.Errorf("waiting for pidfile and qmp: %w (last: %w)", ctx.Err(), lastErr)
		case <-tick.C:
		}
	}
}

// abort kills a QEMU that did not come up and reaps it.
func (p *Process) abort(exitCh chan ExitInfo) {
	p.mu.Lock()
	if p.pidfd >= 0 {
		unix.PidfdSendSignal(p.pidfd, unix.SIGKILL, nil, 0)
	}
	p.closeFDsLocked()
	p.mu.Unlock()
	select {
	case <-exitCh: // reaped
	case <-time.After(reapTimeout):
		p.log.Error("qemu: not reaped after SIGKILL; leaving it to the waiter", "timeout", reapTimeout)
	}
}

// reapTimeout bounds how long abort waits for a killed QEMU to be reaped
// (a process in uninterruptible sleep dies only when its I/O returns).
const reapTimeout = 10 * time.Second

func exitInfo(st *os.ProcessState) ExitInfo {
	if st == nil {
		return ExitInfo{}
	}
	info := ExitInfo{Known: true, Code: st.ExitCode()}
	if ws, ok := st.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
		info.Signal = ws.Signal()
	}
	return info
}

// logTail returns the end of qemu.log, where QEMU's reason for failing is.
func logTail(path string) string {
	const max = 2048
	b, err := os.ReadFile(path)
	if err != nil {
		return "(no qemu log: " + err.Error() + ")"
	}
	if len(b) > max {
		b = b[len(b)-max:]
	}
	return "qemu log: " + string(b)
}
