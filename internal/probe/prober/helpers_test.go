package prober

import (
	"context"
	"net"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"
)

// probeTimeout is the deadline of probes that should finish at once:
// generous, it only bounds a broken test.
const probeTimeout = 10 * time.Second

func run(t *testing.T, p Prober, timeout time.Duration) Outcome {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	return p.Probe(ctx)
}

func want(t *testing.T, got Outcome, result Result, outputHas string) {
	t.Helper()
	if got.Result != result || !strings.Contains(got.Output, outputHas) {
		t.Fatalf("outcome = %v %q, want %v containing %q", got.Result, got.Output, result, outputHas)
	}
}

// rawServer is a loopback TCP server whose connections a test handles by
// hand; Close waits for every handler.
type rawServer struct {
	ln    net.Listener
	wg    sync.WaitGroup
	mu    sync.Mutex
	conns []net.Conn
}

func startRaw(t *testing.T, handle func(net.Conn)) *rawServer {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &rawServer{ln: ln}
	s.wg.Add(1)
	go s.serve(handle)
	t.Cleanup(s.Close)
	return s
}

func (s *rawServer) serve(handle func(net.Conn)) {
	defer s.wg.Done()
	for {
		c, err := s.ln.Accept()
		if err != nil {
			return
		}
		s.mu.Lock()
		s.conns = append(s.conns, c)
		s.mu.Unlock()
		s.wg.Add(1)
		go func() {
			defer s.wg.Done()
			defer c.Close()
			handle(c)
		}()
	}
}

func (s *rawServer) Close() {
	s.ln.Close()
	s.mu.Lock()
	for _, c := range s.conns {
		c.Close()
	}
	s.mu.Unlock()
	s.wg.Wait()
}

func (s *rawServer) target() Target {
	a := s.ln.Addr().(*net.TCPAddr)
	return Target{Host: a.IP.String(), Port: a.Port}
}

// readRequest consumes one request head (up to the blank line).
func readRequest(c net.Conn) string {
	var b []byte
	buf := make([]byte, 1024)
	for !strings.Contains(string(b), "\r\n\r\n") {
		n, err := c.Read(buf)
		b = append(b, buf[:n]...)
		if err != nil {
			break
		}
	}
	return string(b)
}

// assertNoProberGoroutines fails if a goroutine is running code of this
// package outside the tests: a probe must leave none behind. A goroutine
// that is just finishing (an AfterFunc that fired) gets a moment.
func assertNoProberGoroutines(t *testing.T) {
	t.Helper()
	deadline := time.Now().Add(2 * time.Second)
	for {
		left := proberGoroutines()
		if left == "" {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("goroutines left behind:\n%s", left)
		}
		runtime.Gosched()
		time.Sleep(time.Millisecond)
	}
}

func proberGoroutines() string {
	buf := make([]byte, 1<<20)
	buf = buf[:runtime.Stack(buf, true)]
	var left []string
	for _, g := range strings.Split(string(buf), "\n\n") {
		if strings.Contains(g, "probe/prober.") && !strings.Contains(g, "_test.go") {
			left = append(left, g)
		}
	}
	return strings.Join(left, "\n\n")
}
