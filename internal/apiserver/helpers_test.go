package apiserver

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"vigil.dev/vigil/internal/store"
)

// sharedStore is one embedded etcd for the whole package's tests; each test
// works in a namespace of its own.
var (
	sharedStore   store.Interface
	sharedDataDir string
	nsCounter     atomic.Int64
)

func TestMain(m *testing.M) {
	os.Exit(runTests(m))
}

func runTests(m *testing.M) int {
	dir, err := os.MkdirTemp("", "apiserver-test-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(dir)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	st, err := store.Open(ctx, store.Config{DataDir: dir})
	if err != nil {
		fmt.Fprintln(os.Stderr, "opening the test store:", err)
		return 1
	}
	defer st.Close()
	sharedStore, sharedDataDir = st, dir
	return m.Run()
}

// testNamespace is a namespace no other test uses.
func testNamespace() string { return fmt.Sprintf("t%d", nsCounter.Add(1)) }

// logRecorder keeps the records of the server's logger, to find panics.
type logRecorder struct {
	mu      sync.Mutex
	records []slog.Record
}

func (l *logRecorder) Enabled(context.Context, slog.Level) bool { return true }
func (l *logRecorder) Handle(_ context.Context, r slog.Record) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.records = append(l.records, r)
	return nil
}
func (l *logRecorder) WithAttrs([]slog.Attr) slog.Handler { return l }
func (l *logRecorder) WithGroup(string) slog.Handler      { return l }

// count is how many records have a message starting with prefix.
func (l *logRecorder) count(prefix string) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	n := 0
	for _, r := range l.records {
		if strings.HasPrefix(r.Message, prefix) {
			n++
		}
	}
	return n
}

// env is a server under test and the HTTP client to reach it.
type env struct {
	t    *testing.T
	srv  *Server
	http *httptest.Server
	logs *logRecorder
	ns   string
}

// newEnv serves a Server over the shared store on loopback, trusted.
func newEnv(t *testing.T, mutate ...func(*Config)) *env {
	t.Helper()
	logs := &logRecorder{}
	cfg := Config{Store: sharedStore, Logger: slog.New(logs), Version: "test"}
	for _, m := range mutate {
		m(&cfg)
	}
	srv, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(srv.Handler(true))
	t.Cleanup(func() {
		srv.stopWatches()
		hs.Close()
	})
	return &env{t: t, srv: srv, http: hs, logs: logs, ns: testNamespace()}
}

// reply is one HTTP answer.
type reply struct {
	code   int
	body   []byte
	header http.Header
}

// do sends a request; body may be nil, a []byte, a string or any value to
// encode as JSON.
func (e *env) do(method, path, contentType string, body any) reply {
	e.t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case []byte:
		rd = bytes.NewReader(b)
	case string:
		rd = strings.NewReader(b)
	default:
		data, err := json.Marshal(b)
		if err != nil {
			e.t.Fatal(err)
		}
		rd = bytes.NewReader(data)
	}
	req, err := http.NewRequest(method, e.http.URL+path, rd)
	if err != nil {
		e.t.Fatal(err)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	resp, err := e.http.Client().Do(req)
	if err != nil {
		e.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		e.t.Fatalf("%s %s: reading the reply: %v", method, path, err)
	}
	return reply{code: resp.StatusCode, body: data, header: resp.Header}
}

// must fails the test unless the reply has code want.
func (r reply) must(t *testing.T, want int) reply {
	t.Helper()
	if r.code != want {
		t.Fatalf("got %d, want %d: %s", r.code, want, r.body)
	}
	return r
}

// into decodes the reply body.
func (r reply) into(t *testing.T, v any) {
	t.Helper()
	if err := json.Unmarshal(r.body, v); err != nil {
		t.Fatalf("decoding %s: %v", r.body, err)
	}
}

// status decodes a Status reply and checks its kind.
func (r reply) status(t *testing.T) metav1.Status {
	t.Helper()
	var st metav1.Status
	r.into(t, &st)
	if st.Kind != "Status" || st.APIVersion != "v1" || int(st.Code) != r.code {
		t.Fatalf("not a Status for code %d: %s", r.code, r.body)
	}
	return st
}

// vmPath is the path of the VMs of the test's namespace, or of one VM.
func (e *env) vmPath(name ...string) string {
	p := "/apis/kubevirt.io/v1/namespaces/" + e.ns + "/virtualmachines"
	if len(name) > 0 {
		p += "/" + strings.Join(name, "/")
	}
	return p
}

func (e *env) vmiPath(name ...string) string {
	p := "/apis/kubevirt.io/v1/namespaces/" + e.ns + "/virtualmachineinstances"
	if len(name) > 0 {
		p += "/" + strings.Join(name, "/")
	}
	return p
}

func (e *env) corePath(resource string, name ...string) string {
	p := "/api/v1/namespaces/" + e.ns + "/" + resource
	if len(name) > 0 {
		p += "/" + strings.Join(name, "/")
	}
	return p
}

// vmJSON is a minimal valid VM.
func vmJSON(name, strategy string) map[string]any {
	return map[string]any{
		"apiVersion": "kubevirt.io/v1", "kind": "VirtualMachine",
		"metadata": map[string]any{"name": name, "labels": map[string]any{"app": name}},
		"spec": map[string]any{
			"runStrategy": strategy,
			"template": map[string]any{"spec": map[string]any{"domain": map[string]any{
				"firmware": map[string]any{"kernelBoot": map[string]any{"container": map[string]any{"image": "tiny"}}},
			}}},
		},
	}
}

// vmiJSON is a minimal valid VMI.
func vmiJSON(name string) map[string]any {
	return map[string]any{
		"apiVersion": "kubevirt.io/v1", "kind": "VirtualMachineInstance",
		"metadata": map[string]any{"name": name},
		"spec": map[string]any{"domain": map[string]any{
			"firmware": map[string]any{"kernelBoot": map[string]any{"container": map[string]any{"image": "tiny"}}},
		}},
	}
}

func metaNamed(name string) metav1.ObjectMeta { return metav1.ObjectMeta{Name: name} }
