package apiserver

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	v1 "vigil.dev/vigil/api/v1"
)

// watchDeadline is generous: it bounds real I/O against etcd, not logic.
const watchDeadline = 10 * time.Second

// streamEvent is one decoded watch line.
type streamEvent struct {
	Type   string          `json:"type"`
	Object json.RawMessage `json:"object"`
}

func (ev streamEvent) meta(t *testing.T) metav1.ObjectMeta {
	t.Helper()
	var o struct {
		Kind     string            `json:"kind"`
		Metadata metav1.ObjectMeta `json:"metadata"`
	}
	if err := json.Unmarshal(ev.Object, &o); err != nil {
		t.Fatalf("event object %s: %v", ev.Object, err)
	}
	return o.Metadata
}

// stream is an open watch.
type stream struct {
	t      *testing.T
	code   int
	events chan streamEvent
	closed chan struct{}
}

// watch opens a watch and reads its lines in the background.
func (e *env) watch(path string) *stream {
	e.t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	e.t.Cleanup(cancel)
	req, err := http.NewRequestWithContext(ctx, "GET", e.http.URL+path, nil)
	if err != nil {
		e.t.Fatal(err)
	}
	resp, err := e.http.Client().Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	s := &stream{t: e.t, code: resp.StatusCode, events: make(chan streamEvent, 1000), closed: make(chan struct{})}
	go func() {
		defer close(s.closed)
		defer resp.Body.Close()
		sc := bufio.NewScanner(resp.Body)
		sc.Buffer(make([]byte, 1<<20), 4<<20)
		for sc.Scan() {
			var ev streamEvent
			if json.Unmarshal(sc.Bytes(), &ev) == nil {
				s.events <- ev
			}
		}
	}()
	return s
}

// next waits for the next event.
func (s *stream) next() streamEvent {
	s.t.Helper()
	select {
	case ev := <-s.events:
		return ev
	case <-s.closed:
		select {
		case ev := <-s.events:
			return ev
		default:
		}
		s.t.Fatal("the watch ended")
	case <-time.After(watchDeadline):
		s.t.Fatal("no watch event in time")
	}
	return streamEvent{}
}

// expect reads the next event and checks its type and object name.
func (s *stream) expect(typ, name string) streamEvent {
	s.t.Helper()
	ev := s.next()
	if m := ev.meta(s.t); ev.Type != typ || m.Name != name {
		s.t.Fatalf("got %s %s, want %s %s", ev.Type, m.Name, typ, name)
	}
	return ev
}

func TestWatchFromRevisionHasNoGaps(t *testing.T) {
	e := newEnv(t)
	var vm v1.VirtualMachine
	e.do("POST", e.vmPath(), "application/json", vmJSON("g", "Halted")).must(t, 201).into(t, &vm)
	start := vm.ResourceVersion
	var want []string
	write := func(i int) {
		patch := fmt.Sprintf(`{"metadata":{"labels":{"n":"%d"}}}`, i)
		e.do("PATCH", e.vmPath("g"), mergePatch, patch).must(t, 200).into(t, &vm)
		want = append(want, vm.ResourceVersion)
	}
	for i := range 10 {
		write(i)
	}
	s := e.watch(e.vmPath() + "?watch=true&resourceVersion=" + start)
	if s.code != 200 {
		t.Fatalf("watch: %d", s.code)
	}
	for i := 10; i < 20; i++ {
		write(i)
	}
	for i, rv := range want {
		ev := s.expect("MODIFIED", "g")
		if got := ev.meta(t).ResourceVersion; got != rv {
			t.Fatalf("event %d: resourceVersion %s, want %s (a gap or a reorder)", i, got, rv)
		}
	}
}

func TestWatchWithoutRevisionStartsWithCurrentState(t *testing.T) {
	e := newEnv(t)
	e.do("POST", e.vmPath(), "application/json", vmJSON("a", "Halted")).must(t, 201)
	e.do("POST", e.vmPath(), "application/json", vmJSON("b", "Halted")).must(t, 201)
	s := e.watch(e.vmPath() + "?watch=true")
	s.expect("ADDED", "a")
	s.expect("ADDED", "b")
	e.do("POST", e.vmPath(), "application/json", vmJSON("c", "Halted")).must(t, 201)
	s.expect("ADDED", "c")
	e.do("PATCH", e.vmPath("a"), mergePatch, `{"metadata":{"labels":{"x":"1"}}}`).must(t, 200)
	s.expect("MODIFIED", "a")
	e.do("DELETE", e.vmPath("b"), "", nil).must(t, 200)
	s.expect("DELETED", "b")

	one := e.watch(e.vmPath("c") + "?watch=1&resourceVersion=0")
	one.expect("ADDED", "c")
}

func TestWatchCompactedRevisionIs410(t *testing.T) {
	e := newEnv(t)
	var vm v1.VirtualMachine
	e.do("POST", e.vmPath(), "application/json", vmJSON("old", "Halted")).must(t, 201).into(t, &vm)
	e.do("PATCH", e.vmPath("old"), mergePatch, `{"metadata":{"labels":{"x":"1"}}}`).must(t, 200).into(t, &vm)
	compactTo(t, vm.ResourceVersion)
	r := e.do("GET", e.vmPath()+"?watch=true&resourceVersion=1", "", nil).must(t, 410)
	if st := r.status(t); st.Reason != metav1.StatusReasonExpired && st.Reason != metav1.StatusReasonGone {
		t.Errorf("reason %q", st.Reason)
	}
}

// compactTo compacts the shared embedded etcd at rv, through its client
// socket in the data dir.
func compactTo(t *testing.T, rv string) {
	t.Helper()
	rev, err := strconv.ParseInt(rv, 10, 64)
	if err != nil {
		t.Fatal(err)
	}
	sock := filepath.Join(sharedDataDir, "etcd", "client.sock")
	c, err := clientv3.New(clientv3.Config{Endpoints: []string{"unix://" + sock}, DialTimeout: watchDeadline})
	if err != nil {
		t.Fatalf("etcd client on %s: %v", sock, err)
	}
	defer c.Close()
	ctx, cancel := context.WithTimeout(context.Background(), watchDeadline)
	defer cancel()
	if _, err := c.Compact(ctx, rev, clientv3.WithCompactPhysical()); err != nil {
		t.Fatalf("compacting at %d: %v", rev, err)
	}
}

func TestWatchTimeoutAndBookmarks(t *testing.T) {
	e := newEnv(t, func(c *Config) { c.BookmarkInterval = 20 * time.Millisecond })
	var vm v1.VirtualMachine
	e.do("POST", e.vmPath(), "application/json", vmJSON("b", "Halted")).must(t, 201).into(t, &vm)
	s := e.watch(e.vmPath() + "?watch=true&allowWatchBookmarks=true&resourceVersion=" + vm.ResourceVersion)
	ev := s.next()
	if ev.Type != "BOOKMARK" || ev.meta(t).ResourceVersion != vm.ResourceVersion {
		t.Fatalf("got %s %s, want a BOOKMARK at %s", ev.Type, ev.Object, vm.ResourceVersion)
	}
	ended := e.watch(e.vmPath() + "?watch=true&timeoutSeconds=1&resourceVersion=" + vm.ResourceVersion)
	select {
	case <-ended.closed:
	case <-time.After(watchDeadline):
		t.Fatal("a watch with timeoutSeconds=1 did not end")
	}
}

func TestWatchSelectorTransitions(t *testing.T) {
	e := newEnv(t)
	s := e.watch(e.vmPath() + "?watch=true&labelSelector=tier%3Dfront")
	vm := vmJSON("sel", "Halted")
	vm["metadata"].(map[string]any)["labels"] = map[string]any{"tier": "front"}
	e.do("POST", e.vmPath(), "application/json", vm).must(t, 201)
	e.do("POST", e.vmPath(), "application/json", vmJSON("other", "Halted")).must(t, 201)
	s.expect("ADDED", "sel")
	e.do("PATCH", e.vmPath("sel"), mergePatch, `{"metadata":{"labels":{"tier":"back"}}}`).must(t, 200)
	s.expect("DELETED", "sel")
	e.do("PATCH", e.vmPath("other"), mergePatch, `{"metadata":{"labels":{"x":"1"}}}`).must(t, 200)
	e.do("PATCH", e.vmPath("sel"), mergePatch, `{"metadata":{"labels":{"tier":"front"}}}`).must(t, 200)
	s.expect("ADDED", "sel")
}
