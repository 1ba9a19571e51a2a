package qemu

import (
	"context"
	"errors"
	"fmt"
	"log/slog"

	"golang.org/x/sys/unix"
	"k8s.io/apimachinery/pkg/types"

	"vigil.dev/vigil/internal/qmp"
)

// ErrQMPUnavailable means the VMI's QEMU is alive but its QMP socket did
// not answer (another client holds it, or QEMU's main loop is stuck). The
// process is not dead: do not treat it as such.
var ErrQMPUnavailable = errors.New("qmp is unavailable")

// ReattachOptions tune Reattach. The zero value is usable.
type ReattachOptions struct {
	// Logger gets the process's logs; default slog.Default().
	Logger *slog.Logger
	// QMP tunes the QMP client (its Logger defaults to Logger with the
	// uid and pid keys).
	QMP qmp.Options
}

// Reattach finds the VMI's QEMU that an earlier daemon started in runDir
// and takes it over: the pid from the pidfile is trusted only if the
// process is a QEMU whose command line carries the VMI's UID (see
// UIDOEMString); otherwise, or if there is no live process, it returns
// ErrNotRunning. It then connects QMP and watches the process through its
// pidfd. Events QEMU sent before are lost, so the Outcome says
// EventsIncomplete, and the exit status will be unknown (only a parent
// learns it). A QEMU still in the "prelaunch" state (the earlier daemon
// died before cont) is returned as it is; QMP().QueryStatus tells.
func Reattach(ctx context.Context, runDir string, uid types.UID, opts ReattachOptions) (*Process, error) {
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	d := RunDir(runDir)
	pid, pidfd, err := openVerified(d, uid)
	if err != nil {
		return nil, fmt.Errorf("reattaching to vmi uid %s in %s: %w", uid, runDir, err)
	}
	log := opts.Logger.With("uid", uid)
	if opts.QMP.Logger == nil {
		opts.QMP.Logger = log.With("pid", pid)
	}
	client, err := qmp.Dial(ctx, d.QMP(), opts.QMP)
	if err != nil {
		unix.Close(pidfd)
		return nil, fmt.Errorf("reattaching to vmi uid %s: qemu pid %d lives: %w: %w", uid, pid, ErrQMPUnavailable, err)
	}
	watch, err := watchExit(pidfd)
	if err != nil {
		client.Close()
		unix.Close(pidfd)
		return nil, fmt.Errorf("reattaching to vmi uid %s: %w", uid, err)
	}
	p := newProcess(uid, d, pid, pidfd, log, true)
	p.watch = watch
	exitCh := make(chan ExitInfo, 1)
	go p.pollExit(watch, exitCh)
	p.start(client, exitCh)
	log.Info("qemu: reattached", "pid", pid)
	return p, nil
}

// openVerified reads the pidfile, pins the process with a pidfd, then
// checks its command line. Checking after pinning, and making sure the
// pinned process still lives after the check, guarantees the check was
// about the process the pidfd names, even if the pid is being reused.
func openVerified(d RunDir, uid types.UID) (int, int, error) {
	pid, err := readPidfile(d)
	if err != nil {
		return 0, -1, err
	}
	pidfd, err := openPidfd(pid)
	if err != nil {
		return 0, -1, err
	}
	if err := verifyProcess(pid, uid); err != nil {
		unix.Close(pidfd)
		return 0, -1, err
	}
	if pidfdExited(pidfd) {
		unix.Close(pidfd)
		return 0, -1, fmt.Errorf("pid %d exited: %w", pid, ErrNotRunning)
	}
	return pid, pidfd, nil
}

// pollExit waits on the pidfd and reports the exit (status unknown: not
// our child), or closes exitCh without a value when Close stopped it.
func (p *Process) pollExit(w *exitWatch, exitCh chan<- ExitInfo) {
	err := w.wait()
	if err == nil {
		exitCh <- ExitInfo{}
		return
	}
	if !p.closed.Load() {
		// Not proof of anything: stop watching and say so.
		p.log.Error("qemu: cannot watch the process any more", "err", err)
	}
	p.mu.Lock()
	p.closeFDsLocked()
	p.mu.Unlock()
	close(exitCh)
}
