package client_test

import (
	"context"
	"encoding/pem"
	"errors"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"

	"vigil.dev/vigil/internal/apiserver"
	"vigil.dev/vigil/internal/client"
	"vigil.dev/vigil/internal/resource"
	"vigil.dev/vigil/internal/store"
)

// ioDeadline bounds the tests' waits on real sockets.
const ioDeadline = 10 * time.Second

// node is a hand-written apiserver.NodeProxy running VMI default/vm1: its
// console is a net.Pipe whose guest end the test gets, its log is fixed
// text (followed: then more lines, until ctx ends), and exec answers with
// result.
type node struct {
	guests chan net.Conn
	mu     sync.Mutex
	inUse  bool

	log      string
	more     chan string
	followed chan struct{}

	result   apiserver.GuestExecResult
	execArgv []string
	execTime time.Duration
}

func newNode() *node {
	return &node{guests: make(chan net.Conn, 2), more: make(chan string), followed: make(chan struct{})}
}

func (n *node) check(ns, name string) error {
	if ns != "default" || name != "vm1" {
		return apierrors.NewNotFound(resource.VirtualMachineInstances.GroupResource(), name)
	}
	return nil
}

func (n *node) Console(_ context.Context, ns, name string) (io.ReadWriteCloser, error) {
	if err := n.check(ns, name); err != nil {
		return nil, err
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.inUse {
		return nil, apierrors.NewConflict(resource.VirtualMachineInstances.GroupResource(), name, errors.New("the console is in use"))
	}
	n.inUse = true
	server, guest := net.Pipe()
	n.guests <- guest
	return server, nil
}

func (n *node) Logs(ctx context.Context, ns, name string, follow bool) (io.ReadCloser, error) {
	if err := n.check(ns, name); err != nil {
		return nil, err
	}
	if !follow {
		return io.NopCloser(strings.NewReader(n.log)), nil
	}
	pr, pw := io.Pipe()
	go func() {
		defer close(n.followed)
		io.WriteString(pw, n.log)
		for {
			select {
			case line := <-n.more:
				io.WriteString(pw, line)
			case <-ctx.Done():
				pw.CloseWithError(ctx.Err())
				return
			}
		}
	}()
	return pr, nil
}

func (n *node) GuestExec(_ context.Context, ns, name string, argv []string, timeout time.Duration) (*apiserver.GuestExecResult, error) {
	if err := n.check(ns, name); err != nil {
		return nil, err
	}
	n.execArgv, n.execTime = argv, timeout
	res := n.result
	return &res, nil
}

// noStore is the store of a server whose tests only reach node
// subresources, which never touch it; any other call would panic and be
// answered 500.
type noStore struct{ store.Interface }

func newServer(t *testing.T, n *node, token string) *apiserver.Server {
	t.Helper()
	srv, err := apiserver.New(apiserver.Config{Store: noStore{}, Node: n, Token: token})
	if err != nil {
		t.Fatal(err)
	}
	return srv
}

// unixAPI serves the API with node n on a unix socket and returns a client.
func unixAPI(t *testing.T, n *node) *client.Client {
	t.Helper()
	sock := filepath.Join(t.TempDir(), "vigil.sock")
	l, err := net.Listen("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	hs := &http.Server{Handler: newServer(t, n, "").Handler(true)}
	go hs.Serve(l)
	t.Cleanup(func() { hs.Close() })
	c, err := client.New(client.Config{Server: "unix://" + sock})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func guestOf(t *testing.T, n *node) net.Conn {
	t.Helper()
	select {
	case g := <-n.guests:
		g.SetDeadline(time.Now().Add(ioDeadline))
		return g
	case <-time.After(ioDeadline):
		t.Fatal("the server never opened the console")
		return nil
	}
}

// roundTrip sends "ping" from the client and "pong" from the guest.
func roundTrip(t *testing.T, conn io.ReadWriter, guest net.Conn) {
	t.Helper()
	if _, err := io.WriteString(conn, "ping"); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 4)
	if _, err := io.ReadFull(guest, buf); err != nil || string(buf) != "ping" {
		t.Fatalf("guest read %q, %v", buf, err)
	}
	io.WriteString(guest, "pong")
	if _, err := io.ReadFull(conn, buf); err != nil || string(buf) != "pong" {
		t.Fatalf("client read %q, %v", buf, err)
	}
}

func TestConsoleOverUnixSocket(t *testing.T) {
	n := newNode()
	c := unixAPI(t, n)
	conn, err := c.Console(context.Background(), "", "vm1")
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	guest := guestOf(t, n)
	roundTrip(t, conn, guest)

	_, err = c.Console(context.Background(), "default", "vm1")
	if !apierrors.IsConflict(err) || !strings.Contains(err.Error(), "the console is in use") {
		t.Errorf("second console: %v", err)
	}
	_, err = c.Console(context.Background(), "default", "nope")
	if !apierrors.IsNotFound(err) {
		t.Errorf("unknown VMI: %v", err)
	}
	guest.Close()
	if rest, err := io.ReadAll(conn); err != nil || len(rest) != 0 {
		t.Errorf("after the guest end closed: %q, %v", rest, err)
	}
}

func TestConsoleEndsWithTheContext(t *testing.T) {
	n := newNode()
	c := unixAPI(t, n)
	ctx, cancel := context.WithCancel(context.Background())
	conn, err := c.Console(ctx, "default", "vm1")
	if err != nil {
		t.Fatal(err)
	}
	guest := guestOf(t, n)
	cancel()
	if _, err := conn.Read(make([]byte, 1)); err == nil {
		t.Error("read on a console whose context ended succeeded")
	}
	if _, err := guest.Read(make([]byte, 1)); err != io.EOF {
		t.Errorf("guest end after the client left: %v", err)
	}
}

func TestConsoleOverTLSWithHTTP2Offered(t *testing.T) {
	n := newNode()
	hs := httptest.NewUnstartedServer(newServer(t, n, "s3cret").Handler(false))
	hs.EnableHTTP2 = true // the console must still get HTTP/1.1
	hs.Config.ErrorLog = log.New(io.Discard, "", 0)
	hs.StartTLS()
	defer hs.Close()
	ca := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: hs.Certificate().Raw})
	c, err := client.New(client.Config{Server: hs.URL, Token: "s3cret", CAData: ca})
	if err != nil {
		t.Fatal(err)
	}
	conn, err := c.Console(context.Background(), "default", "vm1")
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	roundTrip(t, conn, guestOf(t, n))

	anonymous, err := client.New(client.Config{Server: hs.URL, CAData: ca})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := anonymous.Console(context.Background(), "default", "vm1"); !apierrors.IsUnauthorized(err) {
		t.Errorf("console without the token: %v", err)
	}
}

func TestLogs(t *testing.T) {
	n := newNode()
	n.log = "boot\n"
	c := unixAPI(t, n)
	rc, err := c.Logs(context.Background(), "default", "vm1", false)
	if err != nil {
		t.Fatal(err)
	}
	data, err := io.ReadAll(rc)
	rc.Close()
	if err != nil || string(data) != "boot\n" {
		t.Errorf("log %q, %v", data, err)
	}
	if _, err := c.Logs(context.Background(), "default", "nope", false); !apierrors.IsNotFound(err) {
		t.Errorf("unknown VMI: %v", err)
	}

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	rc, err = c.Logs(ctx, "default", "vm1", true)
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	buf := make([]byte, 5)
	if _, err := io.ReadFull(rc, buf); err != nil || string(buf) != "boot\n" {
		t.Fatalf("followed log %q, %v", buf, err)
	}
	n.more <- "more\n"
	if _, err := io.ReadFull(rc, buf); err != nil || string(buf) != "more\n" {
		t.Fatalf("followed log %q, %v", buf, err)
	}
	cancel()
	select {
	case <-n.followed:
	case <-time.After(ioDeadline):
		t.Fatal("the node's stream did not end with the client's context")
	}
}

func TestGuestExec(t *testing.T) {
	n := newNode()
	n.result = apiserver.GuestExecResult{ExitCode: 3, Stdout: "o", Stderr: "e", Truncated: true}
	c := unixAPI(t, n)
	res, err := c.GuestExec(context.Background(), "default", "vm1", []string{"cat", "/etc/hostname"}, 1500*time.Millisecond)
	if err != nil {
		t.Fatal(err)
	}
	if *res != (client.GuestExecResult{ExitCode: 3, Stdout: "o", Stderr: "e", Truncated: true}) {
		t.Errorf("result %+v", res)
	}
	if !slices.Equal(n.execArgv, []string{"cat", "/etc/hostname"}) || n.execTime != 2*time.Second {
		t.Errorf("node got %q with timeout %v, want the timeout rounded up to 2s", n.execArgv, n.execTime)
	}
	if _, err := c.GuestExec(context.Background(), "default", "vm1", []string{"true"}, 0); err != nil || n.execTime != apiserver.DefaultGuestExecTimeout {
		t.Errorf("no timeout: %v, node timeout %v", err, n.execTime)
	}
	if _, err := c.GuestExec(context.Background(), "default", "nope", []string{"true"}, 0); !apierrors.IsNotFound(err) {
		t.Errorf("unknown VMI: %v", err)
	}
	if _, err := c.GuestExec(context.Background(), "default", "vm1", nil, 0); err == nil || !strings.Contains(err.Error(), "command") {
		t.Errorf("empty command: %v", err)
	}
}
