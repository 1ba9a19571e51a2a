package qga

import (
	"bufio"
	"bytes"
	"encoding/base64"
	"encoding/json"
	"net"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
)

// fakeAgent is a hand-written guest agent on a unix socket. Like qemu-ga it
// treats 0xFF as a parser reset and answers guest-sync-delimited with 0xFF
// and the id; everything else goes to handle (defaultHandle unless set),
// which runs on the connection's reader, so a blocked handler stalls the
// stream just as a stuck agent would.
type fakeAgent struct {
	path    string
	ln      net.Listener
	preSync func(ac *agentConn) // runs before each sync reply (to inject junk)
	handle  func(ac *agentConn, req agentRequest)
	accepts atomic.Int32
	overlap atomic.Int32 // requests that arrived while another was unanswered

	mu      sync.Mutex
	procs   map[int]*fakeProc
	nextPID int
	execs   []execArgs
}

type agentRequest struct {
	Execute   string          `json:"execute"`
	Arguments json.RawMessage `json:"arguments"`
	ID        json.RawMessage `json:"id"`
}

type agentConn struct {
	f    *fakeAgent
	conn net.Conn
}

type fakeProc struct {
	pollsLeft int // exec-status calls answered "running" before "exited"
	code      int
	out, err  []byte
}

// newFakeAgent starts a fake; setup (may be nil) configures it before the
// first connection is served.
func newFakeAgent(t testing.TB, setup func(f *fakeAgent)) *fakeAgent {
	t.Helper()
	f := &fakeAgent{
		path:    filepath.Join(t.TempDir(), "qga.sock"),
		procs:   map[int]*fakeProc{},
		nextPID: 100,
	}
	f.handle = f.defaultHandle
	if setup != nil {
		setup(f)
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

func (f *fakeAgent) serve() {
	for {
		conn, err := f.ln.Accept()
		if err != nil {
			return
		}
		f.accepts.Add(1)
		go f.serveConn(&agentConn{f: f, conn: conn})
	}
}

func (f *fakeAgent) serveConn(ac *agentConn) {
	defer ac.conn.Close()
	br := bufio.NewReader(ac.conn)
	for {
		line, err := br.ReadBytes('\n')
		if err != nil {
			return
		}
		if i := bytes.LastIndexByte(line, 0xFF); i >= 0 {
			line = line[i+1:] // parser reset
		}
		var req agentRequest
		if json.Unmarshal(line, &req) != nil {
			ac.write(`{"error": {"class": "GenericError", "desc": "JSON parse error"}}` + "\n")
			continue
		}
		if req.Execute == "guest-sync-delimited" {
			f.sync(ac, req)
		} else {
			f.handle(ac, req)
		}
		if br.Buffered() > 0 {
			f.overlap.Add(1) // the client sent before we answered
		}
	}
}

func (f *fakeAgent) sync(ac *agentConn, req agentRequest) {
	var a struct {
		ID int64 `json:"id"`
	}
	json.Unmarshal(req.Arguments, &a)
	if f.preSync != nil {
		f.preSync(ac)
	}
	b, _ := json.Marshal(map[string]int64{"return": a.ID})
	ac.write("\xff" + string(b) + "\n")
}

func (ac *agentConn) write(s string) { ac.conn.Write([]byte(s)) }

func (ac *agentConn) reply(req agentRequest, v any) {
	m := map[string]any{"return": v}
	if req.ID != nil {
		m["id"] = req.ID
	}
	b, _ := json.Marshal(m)
	ac.write(string(b) + "\n")
}

func (ac *agentConn) replyError(req agentRequest, class, desc string) {
	m := map[string]any{"error": map[string]string{"class": class, "desc": desc}}
	if req.ID != nil {
		m["id"] = req.ID
	}
	b, _ := json.Marshal(m)
	ac.write(string(b) + "\n")
}

func (f *fakeAgent) defaultHandle(ac *agentConn, req agentRequest) {
	switch req.Execute {
	case "guest-ping":
		ac.reply(req, struct{}{})
	case "guest-info":
		ac.reply(req, map[string]any{"version": "7.2.0", "supported_commands": []map[string]any{
			{"name": "guest-ping", "enabled": true, "success-response": true},
			{"name": "guest-shutdown", "enabled": true, "success-response": false},
			{"name": "guest-exec", "enabled": false, "success-response": true},
		}})
	case "guest-get-osinfo":
		ac.reply(req, map[string]string{"id": "debian", "name": "Debian GNU/Linux", "pretty-name": "Debian GNU/Linux 12 (bookworm)",
			"version": "12 (bookworm)", "version-id": "12", "kernel-release": "6.1.0-30-amd64", "kernel-version": "#1 SMP", "machine": "x86_64"})
	case "guest-network-get-interfaces":
		ac.reply(req, []map[string]any{
			{"name": "lo", "hardware-address": "00:00:00:00:00:00", "ip-addresses": []map[string]any{
				{"ip-address-type": "ipv4", "ip-address": "127.0.0.1", "prefix": 8}}},
			{"name": "eth0", "hardware-address": "52:54:00:12:34:56", "ip-addresses": []map[string]any{
				{"ip-address-type": "ipv4", "ip-address": "10.88.0.5", "prefix": 24},
				{"ip-address-type": "ipv6", "ip-address": "fe80::5054:ff:fe12:3456", "prefix": 64}},
				"statistics": map[string]int{"rx-bytes": 1}},
		})
	case "guest-exec":
		f.exec(ac, req)
	case "guest-exec-status":
		f.execStatus(ac, req)
	default:
		ac.replyError(req, "CommandNotFound", "The command "+req.Execute+" has not been found")
	}
}

// exec fakes a few programs: echo prints its args, false exits 1, cat
// copies its input, sleep never exits; each reports "running" twice first.
func (f *fakeAgent) exec(ac *agentConn, req agentRequest) {
	var a execArgs
	json.Unmarshal(req.Arguments, &a)
	input, _ := base64.StdEncoding.DecodeString(a.InputData)
	p := &fakeProc{pollsLeft: 2}
	switch a.Path {
	case "/bin/echo":
		p.out = []byte(strings.Join(a.Arg, " ") + "\n")
	case "/bin/false":
		p.code, p.err = 1, []byte("failed\n")
	case "/bin/cat":
		p.out = input
	case "/bin/sleep":
		p.pollsLeft = -1
	}
	f.mu.Lock()
	f.nextPID++
	pid := f.nextPID
	f.procs[pid] = p
	f.execs = append(f.execs, a)
	f.mu.Unlock()
	ac.reply(req, map[string]int{"pid": pid})
}

func (f *fakeAgent) execStatus(ac *agentConn, req agentRequest) {
	var a struct {
		PID int `json:"pid"`
	}
	json.Unmarshal(req.Arguments, &a)
	f.mu.Lock()
	p, ok := f.procs[a.PID]
	running := ok && p.pollsLeft != 0
	if ok && p.pollsLeft > 0 {
		p.pollsLeft--
	}
	if ok && !running {
		delete(f.procs, a.PID)
	}
	f.mu.Unlock()
	switch {
	case !ok:
		ac.replyError(req, "GenericError", "Invalid parameter 'pid'")
	case running:
		ac.reply(req, map[string]bool{"exited": false})
	default:
		ac.reply(req, map[string]any{"exited": true, "exitcode": p.code,
			"out-data": base64.StdEncoding.EncodeToString(p.out), "err-data": base64.StdEncoding.EncodeToString(p.err)})
	}
}
