package impl

import (
	"context"
	"net"
	"testing"
	"time"

	"vigil.dev/vigil/bench/internal/target"
	"vigil.dev/vigil/internal/probe/prober"
)

// TestEveryImplementationAgrees: each one succeeds on a healthy target and
// fails on a 503 and on a closed port.
func TestEveryImplementationAgrees(t *testing.T) {
	h := listen(t)
	go target.ServeHTTP(h)
	tl := listen(t)
	go target.ServeTCP(tl)
	closed := listen(t)
	closedPort := closed.Addr().(*net.TCPAddr).Port
	closed.Close()
	down := target.FlipPath(time.Hour, time.Hour) // the second hour of each two: 503
	if target.Healthy(time.Now(), time.Hour, time.Hour) {
		down = target.FlipPath(time.Hour, 0)
	}
	for _, im := range All() {
		port := h.Addr().(*net.TCPAddr).Port
		if im.Kind == TCP {
			port = tl.Addr().(*net.TCPAddr).Port
		}
		check(t, im, port, "/ok", prober.Success)
		check(t, im, closedPort, "/ok", prober.Failure)
		if im.Kind == HTTP {
			check(t, im, port, down, prober.Failure)
		}
	}
}

func check(t *testing.T, im Impl, port int, path string, want prober.Result) {
	t.Helper()
	p, err := im.New(prober.Target{Host: "127.0.0.1", Port: port}, path, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if got := p.Probe(ctx); got.Result != want {
		t.Errorf("%s %s on port %d %s: %v %q, want %v", im.Kind, im.Name, port, path, got.Result, got.Output, want)
	}
}

func listen(t *testing.T) net.Listener {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	return ln
}
