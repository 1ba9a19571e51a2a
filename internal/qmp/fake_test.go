package qmp

import (
	"bufio"
	"encoding/json"
	"net"
	"path/filepath"
	"sync"
	"testing"
)

// fakeQMP is a hand-written QMP server on a unix socket: it greets, answers
// qmp_capabilities itself and hands every other command to handle, which
// runs on the connection's reader goroutine (spawn goroutines to delay).
type fakeQMP struct {
	path     string
	ln       net.Listener
	greeting string // "" means never greet
	handle   func(fc *fakeConn, req fakeRequest)
	caps     chan string // first command of each connection
}

type fakeRequest struct {
	Execute   string          `json:"execute"`
	Arguments json.RawMessage `json:"arguments"`
	ID        json.RawMessage `json:"id"`
}

type fakeConn struct {
	conn net.Conn
	wmu  sync.Mutex
}

const fakeGreeting = `{"QMP": {"version": {"qemu": {"micro": 22, "minor": 2, "major": 7}, "package": "fake"}, "capabilities": ["oob"]}}`

func newFakeQMP(t testing.TB, handle func(fc *fakeConn, req fakeRequest)) *fakeQMP {
	t.Helper()
	return newFakeQMPGreeting(t, fakeGreeting, handle)
}

// newFakeQMPGreeting starts a fake that sends greeting first ("" = never).
func newFakeQMPGreeting(t testing.TB, greeting string, handle func(fc *fakeConn, req fakeRequest)) *fakeQMP {
	t.Helper()
	f := &fakeQMP{
		path:     filepath.Join(t.TempDir(), "qmp.sock"),
		greeting: greeting,
		handle:   handle,
		caps:     make(chan string, 16),
	}
	if f.handle == nil {
		f.handle = echoHandler
	}
	ln, err := net.Listen("unix", f.path)
	if err != nil {
		t.Fatalf("listen: %v", err)
	}
	f.ln = ln
	t.Cleanup(func() { ln.Close() })
	go f.serve()
	return f
}

func (f *fakeQMP) serve() {
	for {
		conn, err := f.ln.Accept()
		if err != nil {
			return
		}
		go f.serveConn(&fakeConn{conn: conn})
	}
}

func (f *fakeQMP) serveConn(fc *fakeConn) {
	defer fc.conn.Close()
	if f.greeting == "" {
		buf := make([]byte, 1)
		fc.conn.Read(buf) // hold the connection open, silent, until the client leaves
		return
	}
	fc.sendRaw(f.greeting)
	sc := bufio.NewScanner(fc.conn)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	first := true
	for sc.Scan() {
		var req fakeRequest
		if err := json.Unmarshal(sc.Bytes(), &req); err != nil {
			fc.sendRaw(`{"error": {"class": "GenericError", "desc": "JSON parse error"}}`)
			continue
		}
		if first {
			f.caps <- req.Execute
			first = false
		}
		if req.Execute == "qmp_capabilities" {
			fc.reply(req, struct{}{})
			continue
		}
		f.handle(fc, req)
	}
}

func echoHandler(fc *fakeConn, req fakeRequest) {
	fc.reply(req, req.Arguments)
}

func (fc *fakeConn) sendRaw(line string) {
	fc.wmu.Lock()
	defer fc.wmu.Unlock()
	fc.conn.Write([]byte(line + "\r\n"))
}

func (fc *fakeConn) send(v any) {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	fc.sendRaw(string(b))
}

func (fc *fakeConn) reply(req fakeRequest, ret any) {
	if raw, ok := ret.(json.RawMessage); ok && raw == nil {
		ret = struct{}{}
	}
	fc.send(map[string]any{"return": ret, "id": req.ID})
}

func (fc *fakeConn) replyError(req fakeRequest, class, desc string) {
	fc.send(map[string]any{"error": map[string]string{"class": class, "desc": desc}, "id": req.ID})
}

func (fc *fakeConn) event(name string, data any) {
	m := map[string]any{"event": name, "timestamp": map[string]int64{"seconds": 1700000000, "microseconds": 250}}
	if data != nil {
		m["data"] = data
	}
	fc.send(m)
}
