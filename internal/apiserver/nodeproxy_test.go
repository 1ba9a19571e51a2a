package apiserver

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"vigil.dev/vigil/internal/resource"
)

// fakeNode is a hand-written NodeProxy: one running VMI whose console is a
// net.Pipe the test plays the guest on, a log the test can extend, and a
// guest agent answering with exec.
type fakeNode struct {
	ns, name string // the one VMI the node runs

	// guests receives the guest end of each console connection.
	guests chan net.Conn
	mu     sync.Mutex
	inUse  bool

	log      string
	more     chan string   // lines appended to a followed log
	followed chan struct{} // closed when a follow stream's ctx ended

	exec     func(argv []string, timeout time.Duration) (*GuestExecResult, error)
	execArgv []string
	execTime time.Duration
}

func newFakeNode(ns, name string) *fakeNode {
	return &fakeNode{ns: ns, name: name, guests: make(chan net.Conn, 4),
		more: make(chan string), followed: make(chan struct{})}
}

func (f *fakeNode) check(ns, name string) error {
	if ns != f.ns || name != f.name {
		return apierrors.NewNotFound(resource.VirtualMachineInstances.GroupResource(), name)
	}
	return nil
}

func (f *fakeNode) Console(_ context.Context, ns, name string) (io.ReadWriteCloser, error) {
	if err := f.check(ns, name); err != nil {
		return nil, err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.inUse {
		return nil, apierrors.NewConflict(resource.VirtualMachineInstances.GroupResource(), name,
			errors.New("the console is in use by another client"))
	}
	f.inUse = true
	server, guest := net.Pipe()
	f.guests <- guest
	return &fakeConsole{Conn: server, release: func() {
		f.mu.Lock()
		f.inUse = false
		f.mu.Unlock()
	}}, nil
}

// fakeConsole frees the console when the server closes it.
type fakeConsole struct {
	net.Conn
	once    sync.Once
	release func()
}

func (c *fakeConsole) Close() error {
	c.once.Do(c.release)
	return c.Conn.Close()
}

func (f *fakeNode) Logs(ctx context.Context, ns, name string, follow bool) (io.ReadCloser, error) {
	if err := f.check(ns, name); err != nil {
		return nil, err
	}
	if !follow {
		return io.NopCloser(strings.NewReader(f.log)), nil
	}
	pr, pw := io.Pipe()
	go func() {
		defer close(f.followed)
		if _, err := io.WriteString(pw, f.log); err != nil {
			return
		}
		for {
			select {
			case line := <-f.more:
				if _, err := io.WriteString(pw, line); err != nil {
					return
				}
			case <-ctx.Done():
				pw.CloseWithError(ctx.Err())
				return
			}
		}
	}()
	return pr, nil
}

func (f *fakeNode) GuestExec(_ context.Context, ns, name string, argv []string, timeout time.Duration) (*GuestExecResult, error) {
	if err := f.check(ns, name); err != nil {
		return nil, err
	}
	f.mu.Lock()
	f.execArgv, f.execTime = argv, timeout
	f.mu.Unlock()
	return f.exec(argv, timeout)
}

var _ NodeProxy = (*fakeNode)(nil)

// nodeEnv is a server with a node proxy, served over a unix socket.
type nodeEnv struct {
	*env
	sock string
}

// newNodeEnv serves a server on a unix socket; e.http's client dials it.
// With withNode, Config.Node is a fakeNode running VMI "vm1" of the env's
// namespace; without, the server has no node.
func newNodeEnv(t *testing.T, withNode bool) (*nodeEnv, *fakeNode) {
	t.Helper()
	ns := testNamespace()
	cfg := Config{Store: sharedStore, Logger: slog.New(&logRecorder{})}
	var node *fakeNode
	if withNode {
		node = newFakeNode(ns, "vm1")
		cfg.Node = node
	}
	srv, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	sock := filepath.Join(t.TempDir(), "api.sock")
	l, err := net.Listen("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewUnstartedServer(srv.Handler(true))
	hs.Listener.Close()
	hs.Listener = l
	hs.Start()
	hs.URL = "http://vigil"
	hs.Client().Transport.(*http.Transport).DialContext = func(ctx context.Context, _, _ string) (net.Conn, error) {
		return (&net.Dialer{}).DialContext(ctx, "unix", sock)
	}
	t.Cleanup(func() {
		srv.stopWatches()
		hs.Close()
	})
	return &nodeEnv{env: &env{t: t, srv: srv, http: hs, ns: ns}, sock: sock}, node
}

// subPath is the path of a node subresource of a VMI in the env's namespace.
func (e *nodeEnv) subPath(name, sub string) string {
	return "/apis/subresources.kubevirt.io/v1/namespaces/" + e.ns + "/virtualmachineinstances/" + name + "/" + sub
}

func TestNodeSubresourcesWithoutNodeAre503(t *testing.T) {
	e, _ := newNodeEnv(t, false)
	for _, tc := range []struct{ method, sub string }{
		{"GET", "console"}, {"GET", "log"}, {"POST", "guestexec"},
	} {
		st := e.do(tc.method, e.subPath("vm1", tc.sub), "", `{"command":["true"]}`).must(t, 503).status(t)
		if st.Message != "no node agent runs in this daemon" {
			t.Errorf("%s: message %q", tc.sub, st.Message)
		}
	}
}

func TestNodeSubresourcesOfUnknownVMIAre404(t *testing.T) {
	e, _ := newNodeEnv(t, true)
	cases := []struct {
		method, sub string
		header      http.Header
	}{
		{"GET", "console", http.Header{"Connection": {"Upgrade"}, "Upgrade": {"vigil-console"}}},
		{"GET", "log", nil},
		{"POST", "guestexec", nil},
	}
	for _, tc := range cases {
		req, _ := http.NewRequest(tc.method, e.http.URL+e.subPath("other", tc.sub), strings.NewReader(`{"command":["true"]}`))
		for k, v := range tc.header {
			req.Header[k] = v
		}
		resp, err := e.http.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		st := reply{code: resp.StatusCode, body: body}.must(t, 404).status(t)
		if st.Reason != "NotFound" || !strings.Contains(st.Message, `"other" not found`) {
			t.Errorf("%s: %+v", tc.sub, st)
		}
	}
}

func TestNodeSubresourcesRefuseOtherVerbsAndPaths(t *testing.T) {
	e, _ := newNodeEnv(t, true)
	for _, tc := range []struct {
		method, sub string
		code        int
	}{
		{"POST", "console", 405},
		{"DELETE", "log", 405},
		{"GET", "guestexec", 405},
		{"GET", "pause", 405}, // served (pause.go), PUT only
	} {
		e.do(tc.method, e.subPath("vm1", tc.sub), "", nil).must(t, tc.code).status(t)
	}
	e.do("GET", e.subPath("..", "log"), "", nil).must(t, 400).status(t)
}

var errNotRunning = errors.New("VMI is not running")

func vmiGR() schema.GroupResource { return resource.VirtualMachineInstances.GroupResource() }
