package node

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"strings"
	"sync"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"

	v1 "vigil.dev/vigil/api/v1"
	"vigil.dev/vigil/internal/apiserver"
	"vigil.dev/vigil/internal/qemu"
	"vigil.dev/vigil/internal/qga"
	"vigil.dev/vigil/internal/resource"
)

// The agent serves the API server's VMI subresources.
var _ apiserver.NodeProxy = (*Agent)(nil)

const (
	// consoleDialTimeout bounds connecting to QEMU's console socket.
	consoleDialTimeout = 5 * time.Second
	// logPollInterval is how often a followed console log is checked for
	// more output.
	logPollInterval = 250 * time.Millisecond
	// maxExecOutput bounds each captured stream of a guest command.
	maxExecOutput = 1 << 20
	// defaultExecTimeout applies when the request gives none.
	defaultExecTimeout = 30 * time.Second
)

// known finds the VMI namespace/name in the agent's cache, or returns the
// API error that tells why it cannot.
func (a *Agent) known(namespace, name string) (*v1.VirtualMachineInstance, error) {
	select {
	case <-a.ready:
	default:
		return nil, apierrors.NewServiceUnavailable("the node agent is starting")
	}
	vmi := a.cache.lookup(namespace, name)
	if vmi == nil {
		return nil, apierrors.NewNotFound(resource.VirtualMachineInstances.GroupResource(), name)
	}
	return vmi, nil
}

// running finds the running VMI namespace/name and the agent's record of
// it, or returns the API error that tells why there is none.
func (a *Agent) running(namespace, name string) (*vmiState, error) {
	vmi, err := a.known(namespace, name)
	if err != nil {
		return nil, err
	}
	st := a.state(vmi.UID)
	if st == nil || st.running() == nil {
		return nil, apierrors.NewConflict(resource.VirtualMachineInstances.GroupResource(), name,
			fmt.Errorf("VMI %s/%s is not running (phase %s)", namespace, name, vmi.Status.Phase))
	}
	return st, nil
}

// Console connects to the VMI's serial console. QEMU serves one client at
// a time, so a second one is refused rather than left waiting.
func (a *Agent) Console(ctx context.Context, namespace, name string) (io.ReadWriteCloser, error) {
	st, err := a.running(namespace, name)
	if err != nil {
		return nil, err
	}
	a.mu.Lock()
	if a.consoles[st.uid] {
		a.mu.Unlock()
		return nil, apierrors.NewConflict(resource.VirtualMachineInstances.GroupResource(), name,
			fmt.Errorf("the serial console of VMI %s/%s is in use by another client", namespace, name))
	}
	a.consoles[st.uid] = true
	a.mu.Unlock()
	release := func() {
		a.mu.Lock()
		delete(a.consoles, st.uid)
		a.mu.Unlock()
	}
	d := net.Dialer{Timeout: consoleDialTimeout}
	conn, err := d.DialContext(ctx, "unix", qemu.RunDir(st.runDir).Console())
	if err != nil {
		release()
		if errors.Is(err, os.ErrNotExist) {
			return nil, apierrors.NewBadRequest(fmt.Sprintf("VMI %s/%s has no serial console "+
				"(spec.domain.devices.autoattachSerialConsole is false)", namespace, name))
		}
		return nil, fmt.Errorf("connecting to the console of VMI %s/%s: %w", namespace, name, err)
	}
	return &consoleConn{Conn: conn, release: release}, nil
}

// consoleConn frees the console for the next client when closed.
type consoleConn struct {
	net.Conn
	once    sync.Once
	release func()
}

func (c *consoleConn) Close() error {
	err := c.Conn.Close()
	c.once.Do(c.release)
	return err
}

// Logs returns the VMI's serial console log from the start. With follow,
// reads block for more output until ctx ends or the VMI's QEMU is gone.
// The log outlives QEMU (it stays until the VMI is deleted).
func (a *Agent) Logs(ctx context.Context, namespace, name string, follow bool) (io.ReadCloser, error) {
	vmi, err := a.known(namespace, name)
	if err != nil {
		return nil, err
	}
	f, err := os.Open(qemu.RunDir(a.cfg.runDir(string(vmi.UID))).ConsoleLog())
	if errors.Is(err, os.ErrNotExist) {
		return io.NopCloser(strings.NewReader("")), nil // nothing printed yet
	}
	if err != nil {
		return nil, fmt.Errorf("console log of VMI %s/%s: %w", namespace, name, err)
	}
	if !follow {
		return f, nil
	}
	var gone <-chan struct{}
	var proc *qemu.Process
	if st := a.state(vmi.UID); st != nil {
		proc = st.process() // read once: the worker clears it when QEMU ends
	}
	if proc != nil {
		gone = proc.Exited()
	} else {
		closed := make(chan struct{})
		close(closed)
		gone = closed
	}
	return &followReader{f: f, ctx: ctx, gone: gone, clock: a.cfg.Clock}, nil
}

// GuestExec runs argv in the guest through the guest agent, waiting up to
// timeout (default 30 s) for it to end.
func (a *Agent) GuestExec(ctx context.Context, namespace, name string, argv []string, timeout time.Duration) (*apiserver.GuestExecResult, error) {
	if len(argv) == 0 {
		return nil, apierrors.NewBadRequest("command: at least the program to run is required")
	}
	st, err := a.running(namespace, name)
	if err != nil {
		return nil, err
	}
	if timeout <= 0 {
		timeout = defaultExecTimeout
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	res, err := st.agent.Run(ctx, argv, maxExecOutput)
	if err != nil {
		return nil, execError(namespace, name, argv, timeout, err)
	}
	code := res.ExitCode
	if res.Signal != 0 {
		code = 128 + res.Signal // the shell's convention
	}
	return &apiserver.GuestExecResult{ExitCode: code, Stdout: string(res.Stdout), Stderr: string(res.Stderr),
		Truncated: res.OutTruncated || res.ErrTruncated}, nil
}

// execError turns a guest agent failure into an API error.
func execError(namespace, name string, argv []string, timeout time.Duration, err error) error {
	var qerr *qga.Error
	switch {
	case errors.Is(err, qga.ErrTimeout), errors.Is(err, context.DeadlineExceeded):
		return apierrors.NewTimeoutError(fmt.Sprintf("%s did not end within %s in VMI %s/%s; it is left running in the guest",
			argv[0], timeout, namespace, name), 0)
	case errors.Is(err, qga.ErrAgentUnavailable), errors.Is(err, qga.ErrClosed):
		return apierrors.NewServiceUnavailable(fmt.Sprintf("the guest agent of VMI %s/%s is not connected", namespace, name))
	case errors.As(err, &qerr):
		return apierrors.NewBadRequest(fmt.Sprintf("VMI %s/%s: the guest agent could not run %s: %s", namespace, name, argv[0], qerr.Desc))
	}
	return fmt.Errorf("running %s in VMI %s/%s: %w", argv[0], namespace, name, err)
}
