package cli

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"

	"vigil.dev/vigil/internal/apiserver"
	"vigil.dev/vigil/internal/resource"
	"vigil.dev/vigil/internal/store"
)

// nodeIODeadline bounds the waits of these tests on real sockets.
const nodeIODeadline = 10 * time.Second

// echoNode is a hand-written apiserver.NodeProxy running VMI default/vm1:
// its console echoes what it gets (or hangs up when hangUp is set), its
// log is log (followed: then lines from more, until ctx ends), and exec
// answers result.
type echoNode struct {
	mu     sync.Mutex
	inUse  bool
	hangUp bool

	log  string
	more chan string

	result   apiserver.GuestExecResult
	execArgv []string
	execTime time.Duration
}

func (n *echoNode) check(ns, name string) error {
	if ns != "default" || name != "vm1" {
		return apierrors.NewNotFound(resource.VirtualMachineInstances.GroupResource(), name)
	}
	return nil
}

func (n *echoNode) Console(_ context.Context, ns, name string) (io.ReadWriteCloser, error) {
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
	go func() {
		defer guest.Close()
		if n.hangUp {
			io.WriteString(guest, "bye\n")
			return
		}
		io.Copy(guest, guest)
	}()
	return server, nil
}

func (n *echoNode) Logs(ctx context.Context, ns, name string, follow bool) (io.ReadCloser, error) {
	if err := n.check(ns, name); err != nil {
		return nil, err
	}
	if !follow {
		return io.NopCloser(strings.NewReader(n.log)), nil
	}
	pr, pw := io.Pipe()
	go func() {
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

func (n *echoNode) GuestExec(_ context.Context, ns, name string, argv []string, timeout time.Duration) (*apiserver.GuestExecResult, error) {
	if err := n.check(ns, name); err != nil {
		return nil, err
	}
	n.execArgv, n.execTime = argv, timeout
	res := n.result
	return &res, nil
}

// noStore is the store of an API server whose tests only reach the node
// subresources, which never touch it.
type noStore struct{ store.Interface }

// serveNodeAPI serves the real API server with node n on a unix socket and
// returns its address for --server.
func serveNodeAPI(t *testing.T, n *echoNode) string {
	t.Helper()
	srv, err := apiserver.New(apiserver.Config{Store: noStore{}, Node: n})
	if err != nil {
		t.Fatal(err)
	}
	sock := filepath.Join(t.TempDir(), "vigil.sock")
	l, err := net.Listen("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	hs := &http.Server{Handler: srv.Handler(true)}
	go hs.Serve(l)
	t.Cleanup(func() { hs.Close() })
	return "unix://" + sock
}

// runNode runs one command against server with the given stdin and stdout.
func runNode(ctx context.Context, server string, stdin io.Reader, stdout interface{ Write([]byte) (int, error) }, args ...string) result {
	root := newTestRoot()
	root.SetIn(stdin)
	var errb strings.Builder
	root.SetArgs(append([]string{"--server", server}, args...))
	root.SetOut(stdout)
	root.SetErr(&errb)
	err := root.ExecuteContext(ctx)
	out := ""
	if s, ok := stdout.(interface{ String() string }); ok {
		out = s.String()
	}
	return result{stdout: out, stderr: errb.String(), err: err}
}

// runAsync runs a command in the background; wait returns its result.
func runAsync(ctx context.Context, server string, stdin io.Reader, stdout *signalBuffer, args ...string) (wait func(t *testing.T) result) {
	done := make(chan result, 1)
	go func() { done <- runNode(ctx, server, stdin, stdout, args...) }()
	return func(t *testing.T) result {
		t.Helper()
		select {
		case r := <-done:
			return r
		case <-time.After(nodeIODeadline):
			t.Fatalf("vigil %s did not end", strings.Join(args, " "))
			return result{}
		}
	}
}
