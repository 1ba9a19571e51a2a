package image

import (
	"bufio"
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// testVM is one QEMU process running the tiny image under TCG, with no
// network at all: the console, the guest agent and QMP are unix sockets.
type testVM struct {
	t       *testing.T
	dir     string
	console string   // the serial console's log file
	serial  net.Conn // typing connection, opened on first use
	exited  chan struct{}
	waitErr error
}

func bootVM(t *testing.T, img *Result, seedISO string) *testVM {
	t.Helper()
	dir, err := os.MkdirTemp("", "vigil-vm-") // short: unix socket paths are limited to 108 bytes
	if err != nil {
		t.Fatal(err)
	}
	v := &testVM{t: t, dir: dir, console: filepath.Join(dir, "console.log"), exited: make(chan struct{})}
	args := []string{
		"-nodefaults", "-nographic", "-m", "256", "-accel", "tcg", "-no-reboot",
		"-kernel", img.Kernel, "-initrd", img.Initrd, "-append", "console=ttyS0 panic=-1",
		"-chardev", "socket,id=ser0,path=" + v.sock("serial") + ",server=on,wait=off,logfile=" + v.console,
		"-serial", "chardev:ser0",
		"-device", "virtio-serial",
		"-chardev", "socket,id=qga0,path=" + v.sock("qga") + ",server=on,wait=off",
		"-device", "virtserialport,chardev=qga0,name=org.qemu.guest_agent.0",
		"-device", "i6300esb", "-action", "watchdog=poweroff",
		"-qmp", "unix:" + v.sock("qmp") + ",server=on,wait=off",
	}
	if seedISO != "" {
		args = append(args, "-drive", "file="+seedISO+",if=virtio,format=raw,readonly=on")
	}
	cmd := exec.Command("qemu-system-x86_64", args...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatalf("start qemu: %v", err)
	}
	go func() {
		v.waitErr = cmd.Wait()
		if stderr.Len() > 0 {
			v.waitErr = fmt.Errorf("%v: %s", v.waitErr, strings.TrimSpace(stderr.String()))
		}
		close(v.exited)
	}()
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		<-v.exited
		if v.serial != nil {
			v.serial.Close()
		}
		if t.Failed() {
			t.Logf("console of %s:\n%s", t.Name(), v.consoleTail(60))
		}
		os.RemoveAll(dir)
	})
	return v
}

func (v *testVM) sock(name string) string { return filepath.Join(v.dir, name+".sock") }

// dial connects to one of QEMU's sockets, waiting for QEMU to create it.
func (v *testVM) dial(name string) net.Conn {
	v.t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		c, err := net.Dial("unix", v.sock(name))
		if err == nil {
			return c
		}
		select {
		case <-v.exited:
			v.t.Fatalf("qemu exited: %v", v.waitErr)
		case <-time.After(50 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			v.t.Fatalf("%s socket: %v", name, err)
		}
	}
}

func (v *testVM) consoleText() string {
	data, _ := os.ReadFile(v.console)
	return string(data)
}

func (v *testVM) consoleTail(n int) string {
	lines := strings.Split(v.consoleText(), "\n")
	return strings.Join(lines[max(0, len(lines)-n):], "\n")
}

// waitConsole polls the console log for text; guest boot is real I/O, so
// the deadline is generous.
func (v *testVM) waitConsole(text string, timeout time.Duration) {
	v.t.Helper()
	deadline := time.Now().Add(timeout)
	for !strings.Contains(v.consoleText(), text) {
		select {
		case <-v.exited:
			v.t.Fatalf("qemu exited (%v) before the console showed %q", v.waitErr, text)
		case <-time.After(100 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			v.t.Fatalf("console did not show %q within %s", text, timeout)
		}
	}
}

// waitExit waits for QEMU to end and returns its exit error (nil: status 0).
func (v *testVM) waitExit(timeout time.Duration) error {
	v.t.Helper()
	select {
	case <-v.exited:
		return v.waitErr
	case <-time.After(timeout):
		v.t.Fatalf("qemu still running after %s", timeout)
		return nil
	}
}

// typeOnConsole sends a line to the serial console's shell. The connection
// stays open: QEMU drops what the UART has not taken yet when a client leaves.
func (v *testVM) typeOnConsole(line string) {
	v.t.Helper()
	if v.serial == nil {
		v.serial = v.dial("serial")
	}
	if _, err := v.serial.Write([]byte(line + "\n")); err != nil {
		v.t.Fatalf("serial console: %v", err)
	}
}

// qga is a minimal guest-agent client for the test: one command at a time,
// resynchronised with guest-sync-delimited on connect.
type qga struct {
	conn net.Conn
	r    *bufio.Reader
}

func dialQGA(c net.Conn, timeout time.Duration) (*qga, error) {
	g := &qga{conn: c, r: bufio.NewReader(c)}
	if err := g.sync(timeout); err != nil {
		c.Close()
		return nil, err
	}
	return g, nil
}

func (g *qga) close() { g.conn.Close() }

// sync sends guest-sync-delimited, skips to the 0xFF sentinel and then to
// the reply carrying our id, so no stale reply is taken for a new one.
func (g *qga) sync(timeout time.Duration) error {
	id := rand.Int64N(1 << 40)
	g.conn.SetDeadline(time.Now().Add(timeout))
	defer g.conn.SetDeadline(time.Time{})
	if err := g.send("guest-sync-delimited", map[string]any{"id": id}); err != nil {
		return err
	}
	if _, err := g.r.ReadBytes(0xff); err != nil {
		return fmt.Errorf("guest-sync-delimited: %w", err)
	}
	for {
		line, err := g.r.ReadBytes('\n')
		if err != nil {
			return fmt.Errorf("guest-sync-delimited: %w", err)
		}
		var reply struct{ Return int64 }
		if json.Unmarshal(line, &reply) == nil && reply.Return == id {
			return nil
		}
	}
}

func (g *qga) send(cmd string, args any) error {
	msg := map[string]any{"execute": cmd}
	if args != nil {
		msg["arguments"] = args
	}
	data, _ := json.Marshal(msg)
	_, err := g.conn.Write(append(data, '\n'))
	return err
}

func (g *qga) call(cmd string, args any, timeout time.Duration) (json.RawMessage, error) {
	g.conn.SetDeadline(time.Now().Add(timeout))
	defer g.conn.SetDeadline(time.Time{})
	if err := g.send(cmd, args); err != nil {
		return nil, err
	}
	line, err := g.r.ReadBytes('\n')
	if err != nil {
		return nil, fmt.Errorf("%s: %w", cmd, err)
	}
	var reply struct {
		Return json.RawMessage
		Error  *struct{ Class, Desc string }
	}
	if err := json.Unmarshal(line, &reply); err != nil {
		return nil, fmt.Errorf("%s: %w: %q", cmd, err, line)
	}
	if reply.Error != nil {
		return nil, fmt.Errorf("%s: %s: %s", cmd, reply.Error.Class, reply.Error.Desc)
	}
	return reply.Return, nil
}

// exec runs argv in the guest through guest-exec and returns its exit code
// and stdout.
func (g *qga) exec(argv []string, timeout time.Duration) (int, string, error) {
	raw, err := g.call("guest-exec", map[string]any{"path": argv[0], "arg": argv[1:], "capture-output": true}, timeout)
	if err != nil {
		return 0, "", err
	}
	var started struct{ PID int }
	if err := json.Unmarshal(raw, &started); err != nil {
		return 0, "", err
	}
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		raw, err := g.call("guest-exec-status", map[string]any{"pid": started.PID}, timeout)
		if err != nil {
			return 0, "", err
		}
		var st struct {
			Exited   bool
			ExitCode int    `json:"exitcode"`
			OutData  string `json:"out-data"`
		}
		if err := json.Unmarshal(raw, &st); err != nil {
			return 0, "", err
		}
		if st.Exited {
			out, err := base64.StdEncoding.DecodeString(st.OutData)
			return st.ExitCode, string(out), err
		}
		time.Sleep(100 * time.Millisecond) // polling the guest, as guest-exec requires
	}
	return 0, "", fmt.Errorf("guest-exec %q: still running after %s", argv, timeout)
}

// qmp is a minimal QMP client for the test: commands and the event stream.
type qmp struct {
	conn    net.Conn
	replies chan map[string]any
	events  chan map[string]any
}

func dialQMP(t *testing.T, c net.Conn) *qmp {
	t.Helper()
	q := &qmp{conn: c, replies: make(chan map[string]any, 8), events: make(chan map[string]any, 64)}
	go q.read()
	t.Cleanup(func() { c.Close() })
	<-q.replies // greeting
	q.execute(t, "qmp_capabilities")
	return q
}

func (q *qmp) read() {
	sc := bufio.NewScanner(q.conn)
	for sc.Scan() {
		var msg map[string]any
		if json.Unmarshal(sc.Bytes(), &msg) != nil {
			continue
		}
		if _, ok := msg["event"]; ok {
			q.events <- msg
		} else {
			q.replies <- msg
		}
	}
	close(q.events)
}

func (q *qmp) execute(t *testing.T, cmd string) {
	t.Helper()
	data, _ := json.Marshal(map[string]string{"execute": cmd})
	if _, err := q.conn.Write(append(data, '\n')); err != nil {
		t.Fatalf("qmp %s: %v", cmd, err)
	}
	select {
	case r := <-q.replies:
		if _, ok := r["return"]; !ok {
			t.Fatalf("qmp %s: %v", cmd, r)
		}
	case <-time.After(10 * time.Second):
		t.Fatalf("qmp %s: no reply", cmd)
	}
}

// waitEvent returns the first event called name.
func (q *qmp) waitEvent(t *testing.T, name string, timeout time.Duration) map[string]any {
	t.Helper()
	deadline := time.After(timeout)
	for {
		select {
		case ev, ok := <-q.events:
			if !ok {
				t.Fatalf("qmp closed before event %s", name)
			}
			if ev["event"] == name {
				return ev
			}
		case <-deadline:
			t.Fatalf("no qmp event %s within %s", name, timeout)
		}
	}
}

// makeSeed writes a NoCloud cidata ISO holding files.
func makeSeed(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, content := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	iso := filepath.Join(t.TempDir(), "seed.iso")
	out, err := exec.Command("xorriso", "-as", "mkisofs", "-V", "cidata", "-J", "-r", "-o", iso, dir).CombinedOutput()
	if err != nil {
		t.Fatalf("xorriso: %v: %s", err, out)
	}
	return iso
}
