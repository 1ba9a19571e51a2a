package daemon

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"vigil.dev/vigil/internal/apiserver"
)

// startTimeout bounds the daemon's start (an embedded etcd): real I/O.
const startTimeout = 60 * time.Second

// running is a daemon started by a test.
type running struct {
	cfg  Config
	done chan error
	stop context.CancelFunc
}

func testConfig(t *testing.T) Config {
	t.Helper()
	dir := t.TempDir()
	return Config{
		DataDir:  filepath.Join(dir, "data"),
		Socket:   filepath.Join(dir, "run", "v.sock"),
		NodeName: "test-node",
		Logger:   slog.New(slog.NewTextHandler(io.Discard, nil)),
		Version:  "test",
	}
}

// start runs the daemon and waits until /readyz answers on its socket.
func start(t *testing.T, cfg Config) *running {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	r := &running{cfg: cfg, done: make(chan error, 1), stop: cancel}
	go func() { r.done <- Run(ctx, cfg) }()
	t.Cleanup(func() { r.shutdown(t) })
	client := socketClient(cfg.Socket)
	deadline := time.Now().Add(startTimeout)
	for time.Now().Before(deadline) {
		select {
		case err := <-r.done:
			t.Fatalf("the daemon exited while starting: %v", err)
		default:
		}
		if resp, err := client.Get("http://vigil/readyz"); err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				return r
			}
		}
		time.Sleep(20 * time.Millisecond) // polling real I/O, not logic
	}
	t.Fatal("the daemon was not ready in time")
	return nil
}

// shutdown cancels the daemon and returns what Run returned (once).
func (r *running) shutdown(t *testing.T) error {
	r.stop()
	select {
	case err, ok := <-r.done:
		if ok {
			close(r.done)
		}
		return err
	case <-time.After(startTimeout):
		t.Fatal("the daemon did not stop")
	}
	return nil
}

func socketClient(path string) *http.Client {
	return &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{
		DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
			var d net.Dialer
			return d.DialContext(ctx, "unix", path)
		},
	}}
}

func TestRunServesOnAPrivateSocketAndStopsCleanly(t *testing.T) {
	cfg := testConfig(t)
	r := start(t, cfg)
	fi, err := os.Stat(cfg.Socket)
	if err != nil || fi.Mode().Perm() != 0o600 || fi.Mode()&os.ModeSocket == 0 {
		t.Fatalf("socket: %v mode %v", err, fi.Mode())
	}
	if di, err := os.Stat(filepath.Dir(cfg.Socket)); err != nil || di.Mode().Perm() != 0o700 {
		t.Errorf("socket dir: %v mode %v", err, di.Mode())
	}
	if di, err := os.Stat(cfg.DataDir); err != nil || di.Mode().Perm() != 0o700 {
		t.Errorf("data dir: %v mode %v", err, di.Mode())
	}
	if err := r.shutdown(t); err != nil {
		t.Errorf("Run after cancel: %v", err)
	}
	if _, err := os.Stat(cfg.Socket); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the socket outlived the daemon: %v", err)
	}
}

func TestSecondDaemonIsRefused(t *testing.T) {
	cfg := testConfig(t)
	start(t, cfg)
	sameDir := cfg
	sameDir.Socket = filepath.Join(t.TempDir(), "other.sock")
	err := Run(context.Background(), sameDir)
	if err == nil || !strings.Contains(err.Error(), "in use by another vigil daemon") {
		t.Errorf("same data dir: %v", err)
	}
	sameSocket := testConfig(t)
	sameSocket.Socket = cfg.Socket
	err = Run(context.Background(), sameSocket)
	if err == nil || !strings.Contains(err.Error(), "another vigil daemon is serving on it") {
		t.Errorf("same socket: %v", err)
	}
}

func TestStaleSocketIsReplaced(t *testing.T) {
	cfg := testConfig(t)
	if err := os.MkdirAll(filepath.Dir(cfg.Socket), 0o700); err != nil {
		t.Fatal(err)
	}
	l, err := net.Listen("unix", cfg.Socket)
	if err != nil {
		t.Fatal(err)
	}
	l.(*net.UnixListener).SetUnlinkOnClose(false)
	l.Close() // a dead daemon's socket file: present, nobody answers
	start(t, cfg)

	notSocket := testConfig(t)
	if err := os.MkdirAll(filepath.Dir(notSocket.Socket), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(notSocket.Socket, []byte("x"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := Run(context.Background(), notSocket); err == nil || !strings.Contains(err.Error(), "not a socket") {
		t.Errorf("a regular file at the socket path: %v", err)
	}
}

// fakeComponent records its run; fail makes it give up at once.
type fakeComponent struct {
	name    string
	fail    bool
	mu      sync.Mutex
	socket  string
	started chan struct{}
	stopped chan struct{}
}

func newFake(name string, fail bool) *fakeComponent {
	return &fakeComponent{name: name, fail: fail, started: make(chan struct{}), stopped: make(chan struct{})}
}

func (c *fakeComponent) Name() string { return c.name }

func (c *fakeComponent) Run(ctx context.Context, socket string) error {
	c.mu.Lock()
	c.socket = socket
	c.mu.Unlock()
	close(c.started)
	defer close(c.stopped)
	if c.fail {
		return errors.New("cannot work here")
	}
	<-ctx.Done()
	return nil
}

func TestComponentsRunAndAFailureKeepsTheAPIUp(t *testing.T) {
	cfg := testConfig(t)
	good, bad := newFake("good", false), newFake("bad", true)
	cfg.Components = []Component{good, bad}
	r := start(t, cfg)
	for _, c := range []*fakeComponent{good, bad} {
		select {
		case <-c.started:
		case <-time.After(startTimeout):
			t.Fatalf("component %s did not start", c.name)
		}
	}
	<-bad.stopped
	resp, err := socketClient(cfg.Socket).Get("http://vigil/readyz")
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("the API is down after a component failed: %v", err)
	}
	resp.Body.Close()
	good.mu.Lock()
	if good.socket != cfg.Socket {
		t.Errorf("component got socket %q, want %q", good.socket, cfg.Socket)
	}
	good.mu.Unlock()
	if err := r.shutdown(t); err != nil {
		t.Fatal(err)
	}
	select {
	case <-good.stopped:
	default:
		t.Error("Run returned before the component stopped")
	}
}

func TestTCPListenerNeedsTheToken(t *testing.T) {
	cfg := testConfig(t)
	cfg.ListenTCP = freeLoopbackAddr(t)
	start(t, cfg)
	token, err := os.ReadFile(filepath.Join(cfg.DataDir, apiserver.TokenFile))
	if err != nil {
		t.Fatal(err)
	}
	ca, err := os.ReadFile(filepath.Join(cfg.DataDir, apiserver.CACertFile))
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(ca)
	client := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
	get := func(tok string) int {
		req, _ := http.NewRequest("GET", "https://"+cfg.ListenTCP+"/version", nil)
		if tok != "" {
			req.Header.Set("Authorization", "Bearer "+tok)
		}
		resp, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	if code := get(""); code != 401 {
		t.Errorf("without a token: %d", code)
	}
	if code := get(strings.TrimSpace(string(token))); code != 200 {
		t.Errorf("with the token: %d", code)
	}
}

// freeLoopbackAddr asks the kernel for a free loopback port.
func freeLoopbackAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}
