package framework

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"vigil.dev/vigil/internal/network/nstest"
)

// Daemon is one `vigil serve` under test.
type Daemon struct {
	t       testing.TB
	Bin     string
	Netns   string
	DataDir string
	Socket  string
	Args    []string // extra serve flags

	mu   sync.Mutex
	cmd  *exec.Cmd
	done chan struct{}
	log  *lockedBuffer
	tr   *http.Transport // shared by every HTTPClient
}

// Options tune a daemon.
type Options struct {
	// Netns runs the daemon in this namespace; empty makes a new one.
	Netns string
	// InTestNetns runs the daemon in the test process's own network
	// namespace, which must be a private one (the package's TestMain calls
	// nstest.Main): the test can then reach the VMs' addresses directly.
	InTestNetns bool
	// Tiny imports the tiny guest image into the daemon's data dir.
	Tiny bool
	// Args are extra `vigil serve` flags.
	Args []string
}

// StartDaemon builds vigil, makes a namespace and a data dir, and starts
// `vigil serve`, waiting until /readyz answers. Everything is torn down when
// the test ends; the daemon's log is printed if the test failed.
func StartDaemon(t testing.TB, opts Options) *Daemon {
	t.Helper()
	bin, err := Binary()
	if err != nil {
		t.Fatal(err)
	}
	netns := opts.Netns
	switch {
	case opts.InTestNetns:
		nstest.Require(t)
		netns = ""
	case netns == "":
		netns = NewNetns(t)
	}
	// A short directory: VM sockets live under the data dir, and Unix
	// socket paths are limited to 107 bytes.
	dir, err := os.MkdirTemp("", "vigil-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	d := &Daemon{
		t: t, Bin: bin, Netns: netns,
		DataDir: filepath.Join(dir, "data"),
		Socket:  filepath.Join(dir, "run", "vigil.sock"),
		Args:    opts.Args,
		log:     &lockedBuffer{},
	}
	t.Cleanup(func() {
		d.Stop()
		// VMs outlive the daemon by design; the test's must not outlive the test.
		if n := KillProcessesUsing(d.DataDir); n > 0 {
			t.Logf("killed %d VM process(es) left by the daemon", n)
		}
		if t.Failed() {
			t.Logf("daemon log:\n%s", d.log.String())
		}
	})
	if opts.Tiny {
		d.ImportTiny()
	}
	d.Start()
	return d
}

// Start launches the daemon (again, after Kill) and waits for /readyz.
func (d *Daemon) Start() {
	d.t.Helper()
	d.transport().CloseIdleConnections() // they went to an earlier daemon
	args := append([]string{"serve", "--data-dir", d.DataDir, "--socket", d.Socket, "--log-level", "debug"}, d.Args...)
	argv := append([]string{d.Bin}, args...)
	if d.Netns != "" {
		argv = InNetns(d.Netns, argv...)
	}
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Stdout = d.log
	cmd.Stderr = d.log
	// Its own process group, so a kill reaches nothing else of ours.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		d.t.Fatalf("starting vigil serve: %v", err)
	}
	done := make(chan struct{})
	go func() { _ = cmd.Wait(); close(done) }()
	d.mu.Lock()
	d.cmd, d.done = cmd, done
	d.mu.Unlock()
	d.WaitReady(60 * time.Second)
}

// WaitReady polls /readyz over the socket until it answers 200.
func (d *Daemon) WaitReady(timeout time.Duration) {
	d.t.Helper()
	deadline := time.Now().Add(timeout)
	var last string
	for time.Now().Before(deadline) {
		select {
		case <-d.done:
			d.t.Fatalf("vigil serve exited before it was ready; log:\n%s", d.log.String())
		default:
		}
		code, body, err := d.Get("/readyz")
		if err == nil && code == http.StatusOK {
			return
		}
		last = fmt.Sprintf("code=%d body=%q err=%v", code, body, err)
		time.Sleep(5 * time.Millisecond)
	}
	d.t.Fatalf("vigil serve not ready after %s (last: %s); log:\n%s", timeout, last, d.log.String())
}

// HTTPClient talks to the daemon's unix socket. Every client shares the
// daemon's one transport, so idle connections are reused and at most a few
// stay open: a transport per call would leave each call's kept-alive
// connection open in the daemon (a goroutine and its buffers, for the
// server's idle timeout), and tests that poll would inflate the daemon's
// memory and goroutines by hundreds of connections.
func (d *Daemon) HTTPClient() *http.Client {
	return &http.Client{Timeout: 30 * time.Second, Transport: d.transport()}
}

func (d *Daemon) transport() *http.Transport {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.tr == nil {
		d.tr = &http.Transport{DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
			var dl net.Dialer
			return dl.DialContext(ctx, "unix", d.Socket)
		}}
	}
	return d.tr
}

// Get does a GET on the API and returns the status and body.
func (d *Daemon) Get(path string) (int, string, error) {
	return d.Request(http.MethodGet, path, "", nil)
}

// Request sends one API request over the socket.
func (d *Daemon) Request(method, path, contentType string, body []byte) (int, string, error) {
	req, err := http.NewRequest(method, "http://vigil"+path, bytes.NewReader(body))
	if err != nil {
		return 0, "", err
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	resp, err := d.HTTPClient().Do(req)
	if err != nil {
		return 0, "", err
	}
	defer resp.Body.Close()
	var b bytes.Buffer
	_, err = b.ReadFrom(resp.Body)
	return resp.StatusCode, b.String(), err
}

// Kill9 kills the daemon with SIGKILL (VMs, being separate processes, live on) and waits for it to be gone.
func (d *Daemon) Kill9() {
	d.t.Helper()
	d.signal(syscall.SIGKILL)
	d.waitExit(30 * time.Second)
}

// Stop ends the daemon with SIGTERM (then SIGKILL after a deadline).
func (d *Daemon) Stop() {
	d.mu.Lock()
	cmd := d.cmd
	d.mu.Unlock()
	if cmd == nil || cmd.Process == nil {
		return
	}
	select {
	case <-d.done:
		return
	default:
	}
	d.signal(syscall.SIGTERM)
	if !d.waitExit(30 * time.Second) {
		d.signal(syscall.SIGKILL)
		d.waitExit(10 * time.Second)
	}
}

// PID is the daemon's process id (of `ip netns exec`, which execs vigil in place).
func (d *Daemon) PID() int {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.cmd.Process.Pid
}

func (d *Daemon) signal(sig syscall.Signal) {
	d.mu.Lock()
	cmd := d.cmd
	d.mu.Unlock()
	if cmd != nil && cmd.Process != nil {
		_ = cmd.Process.Signal(sig)
	}
}

func (d *Daemon) waitExit(timeout time.Duration) bool {
	select {
	case <-d.done:
		return true
	case <-time.After(timeout):
		return false
	}
}

// Log is everything the daemon printed so far.
func (d *Daemon) Log() string { return d.log.String() }

// Result is the outcome of one CLI run.
type Result struct {
	Stdout, Stderr string
	Code           int
}

// Vigil runs a client command against this daemon (through its socket; the
// client needs no namespace) with stdin from `stdin` when non-nil.
func (d *Daemon) Vigil(stdin []byte, args ...string) Result {
	d.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, d.Bin, args...)
	cmd.Env = append(os.Environ(), "VIGIL_SERVER=unix://"+d.Socket)
	if stdin != nil {
		cmd.Stdin = bytes.NewReader(stdin)
	}
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	code := 0
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		code = ee.ExitCode()
	} else if err != nil {
		d.t.Fatalf("running vigil %s: %v", strings.Join(args, " "), err)
	}
	return Result{Stdout: out.String(), Stderr: errb.String(), Code: code}
}

// MustVigil runs a client command and fails the test unless it exits 0.
func (d *Daemon) MustVigil(stdin []byte, args ...string) string {
	d.t.Helper()
	r := d.Vigil(stdin, args...)
	if r.Code != 0 {
		d.t.Fatalf("vigil %s: exit %d\nstdout:\n%s\nstderr:\n%s", strings.Join(args, " "), r.Code, r.Stdout, r.Stderr)
	}
	return r.Stdout
}

type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}
