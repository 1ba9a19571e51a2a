package cli

import (
	"bytes"
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/spf13/cobra"
)

// fixedNow is the clock of every command test.
var fixedNow = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

// result is what one command run left behind.
type result struct {
	stdout, stderr string
	err            error
}

// code is the exit code Main would return.
func (r result) code() int {
	if r.err == nil {
		return 0
	}
	if ee, ok := r.err.(*ExitError); ok {
		return ee.Code
	}
	return 1
}

// newTestRoot builds the client commands with a fixed clock.
func newTestRoot() *cobra.Command {
	root := &cobra.Command{Use: "vigil", SilenceUsage: true, SilenceErrors: true}
	addClientCommandsWith(root, &env{now: func() time.Time { return fixedNow }})
	return root
}

// run runs one command against the fake server.
func run(t *testing.T, f *fakeAPI, stdin string, args ...string) result {
	t.Helper()
	return runCtx(context.Background(), f, stdin, &bytes.Buffer{}, args...)
}

func runCtx(ctx context.Context, f *fakeAPI, stdin string, stdout interface{ Write([]byte) (int, error) }, args ...string) result {
	root := newTestRoot()
	var errb bytes.Buffer
	root.SetArgs(append(args, "--server", f.server))
	root.SetIn(strings.NewReader(stdin))
	root.SetOut(stdout)
	root.SetErr(&errb)
	err := root.ExecuteContext(ctx)
	out := ""
	if s, ok := stdout.(interface{ String() string }); ok {
		out = s.String()
	}
	return result{stdout: out, stderr: errb.String(), err: err}
}

// signalBuffer is a stdout that tells the test each time something is written.
type signalBuffer struct {
	mu     sync.Mutex
	b      bytes.Buffer
	writes chan struct{}
}

func newSignalBuffer() *signalBuffer { return &signalBuffer{writes: make(chan struct{}, 64)} }

func (s *signalBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	n, err := s.b.Write(p)
	s.mu.Unlock()
	select {
	case s.writes <- struct{}{}:
	default:
	}
	return n, err
}

func (s *signalBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// waitFor blocks until the output contains want (real I/O: generous deadline).
func (s *signalBuffer) waitFor(t *testing.T, want string) {
	t.Helper()
	deadline := time.After(10 * time.Second)
	for !strings.Contains(s.String(), want) {
		select {
		case <-s.writes:
		case <-deadline:
			t.Fatalf("output never contained %q; got:\n%s", want, s.String())
		}
	}
}
