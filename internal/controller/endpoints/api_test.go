package endpoints

import (
	"context"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"vigil.dev/vigil/internal/apiserver"
	"vigil.dev/vigil/internal/client"
	"vigil.dev/vigil/internal/store"
)

// The controller is tested against the real API server and store, over a
// unix socket, as it runs in the daemon: one embedded etcd and one server
// for the package, a namespace per test.
var (
	apiSocket string
	nsCounter atomic.Int64
)

func TestMain(m *testing.M) { os.Exit(runTests(m)) }

func runTests(m *testing.M) int {
	dir, err := os.MkdirTemp("", "endpoints-test-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(dir)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	openCtx, openCancel := context.WithTimeout(ctx, 60*time.Second)
	defer openCancel()
	st, err := store.Open(openCtx, store.Config{DataDir: filepath.Join(dir, "data")})
	if err != nil {
		fmt.Fprintln(os.Stderr, "opening the test store:", err)
		return 1
	}
	defer st.Close()
	srv, err := apiserver.New(apiserver.Config{Store: st, Version: "test"})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	apiSocket = filepath.Join(dir, "api.sock")
	l, err := net.Listen("unix", apiSocket)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ctx, apiserver.Listener{Listener: l, Trusted: true}) }()
	code := m.Run()
	cancel()
	<-served
	return code
}

// newClient is a client of the test API server.
func newClient(t *testing.T) *client.Client {
	t.Helper()
	c, err := client.New(client.Config{Server: "unix://" + apiSocket})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// testNamespace is a namespace no other test uses.
func testNamespace() string { return fmt.Sprintf("t%d", nsCounter.Add(1)) }

// eventually polls check (real I/O through the API server) until it
// reports done, failing the test with its last message after a generous
// deadline.
func eventually(t *testing.T, check func() (bool, string)) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for {
		done, msg := check()
		if done {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("gave up waiting: %s", msg)
		}
		time.Sleep(10 * time.Millisecond)
	}
}
