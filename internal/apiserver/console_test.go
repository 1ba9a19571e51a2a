package apiserver

import (
	"bufio"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"
)

// ioDeadline bounds every read and write on a real socket in these tests.
const ioDeadline = 10 * time.Second

// dialConsole sends the upgrade request on a fresh unix connection, with
// early bytes right behind the headers, and returns the connection and a
// reader positioned after the server's answer.
func dialConsole(t *testing.T, e *nodeEnv, name, early string) (net.Conn, *bufio.Reader, *http.Response) {
	t.Helper()
	conn, err := net.Dial("unix", e.sock)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	conn.SetDeadline(time.Now().Add(ioDeadline))
	req := "GET " + e.subPath(name, "console") + " HTTP/1.1\r\nHost: vigil\r\n" +
		"Connection: keep-alive, Upgrade\r\nUpgrade: vigil-console\r\n\r\n" + early
	if _, err := io.WriteString(conn, req); err != nil {
		t.Fatal(err)
	}
	br := bufio.NewReader(conn)
	resp, err := http.ReadResponse(br, nil)
	if err != nil {
		t.Fatal(err)
	}
	return conn, br, resp
}

// guestEnd is the node side of the next console connection.
func guestEnd(t *testing.T, node *fakeNode) net.Conn {
	t.Helper()
	select {
	case g := <-node.guests:
		g.SetDeadline(time.Now().Add(ioDeadline))
		return g
	case <-time.After(ioDeadline):
		t.Fatal("the server never connected to the console")
		return nil
	}
}

func readN(t *testing.T, r io.Reader, n int) string {
	t.Helper()
	buf := make([]byte, n)
	if _, err := io.ReadFull(r, buf); err != nil {
		t.Fatalf("reading %d bytes: %v", n, err)
	}
	return string(buf)
}

func TestConsoleRelaysBytesBothWays(t *testing.T) {
	e, node := newNodeEnv(t, true)
	conn, br, resp := dialConsole(t, e, "vm1", "early")
	if resp.StatusCode != 101 || resp.Header.Get("Upgrade") != "vigil-console" {
		t.Fatalf("answer %s, Upgrade %q", resp.Status, resp.Header.Get("Upgrade"))
	}
	guest := guestEnd(t, node)
	// Bytes sent with the request, before the 101, reach the guest too.
	if got := readN(t, guest, 5); got != "early" {
		t.Errorf("guest read %q", got)
	}
	if _, err := io.WriteString(conn, "ls\r"); err != nil {
		t.Fatal(err)
	}
	if got := readN(t, guest, 3); got != "ls\r" {
		t.Errorf("guest read %q", got)
	}
	if _, err := io.WriteString(guest, "login: "); err != nil {
		t.Fatal(err)
	}
	if got := readN(t, br, 7); got != "login: " {
		t.Errorf("client read %q", got)
	}
	// The client leaves: the server closes the guest's end and frees the
	// console for the next client.
	conn.Close()
	if n, err := guest.Read(make([]byte, 1)); err != io.EOF {
		t.Errorf("guest read after the client left: %d, %v", n, err)
	}
	_, _, again := dialConsole(t, e, "vm1", "")
	if again.StatusCode != 101 {
		t.Errorf("second session after the first ended: %s", again.Status)
	}
}

func TestConsoleEndsWhenTheGuestSideCloses(t *testing.T) {
	e, node := newNodeEnv(t, true)
	_, br, resp := dialConsole(t, e, "vm1", "")
	if resp.StatusCode != 101 {
		t.Fatalf("answer %s", resp.Status)
	}
	guest := guestEnd(t, node)
	io.WriteString(guest, "bye")
	guest.Close()
	rest, err := io.ReadAll(br)
	if err != nil || string(rest) != "bye" {
		t.Errorf("client read %q, %v; want the last bytes then EOF", rest, err)
	}
}

func TestConsoleInUseIsAStatus(t *testing.T) {
	e, node := newNodeEnv(t, true)
	if _, _, resp := dialConsole(t, e, "vm1", ""); resp.StatusCode != 101 {
		t.Fatalf("first session: %s", resp.Status)
	}
	guestEnd(t, node)
	_, br, resp := dialConsole(t, e, "vm1", "")
	body, _ := io.ReadAll(io.LimitReader(br, resp.ContentLength))
	st := reply{code: resp.StatusCode, body: body}.must(t, 409).status(t)
	if st.Reason != "Conflict" || !strings.Contains(st.Message, "the console is in use by another client") {
		t.Errorf("status %+v", st)
	}
}

func TestConsoleNeedsTheUpgradeHeaders(t *testing.T) {
	e, _ := newNodeEnv(t, true)
	st := e.do("GET", e.subPath("vm1", "console"), "", nil).must(t, 400).status(t)
	if !strings.Contains(st.Message, "Upgrade: vigil-console") {
		t.Errorf("message %q", st.Message)
	}
}

func TestConsoleEndsAtShutdown(t *testing.T) {
	e, node := newNodeEnv(t, true)
	_, br, resp := dialConsole(t, e, "vm1", "")
	if resp.StatusCode != 101 {
		t.Fatalf("answer %s", resp.Status)
	}
	guest := guestEnd(t, node)
	e.srv.stopWatches()
	if _, err := br.ReadByte(); err != io.EOF {
		t.Errorf("client read after shutdown: %v", err)
	}
	if _, err := guest.Read(make([]byte, 1)); err != io.EOF {
		t.Errorf("guest read after shutdown: %v", err)
	}
}

func TestHeaderHasToken(t *testing.T) {
	cases := []struct {
		values []string
		want   bool
	}{
		{[]string{"Upgrade"}, true},
		{[]string{"keep-alive, upgrade"}, true},
		{[]string{"keep-alive", "UPGRADE"}, true},
		{[]string{"keep-alive"}, false},
		{[]string{"upgraded"}, false},
		{nil, false},
	}
	for _, tc := range cases {
		h := http.Header{"Connection": tc.values}
		if got := headerHasToken(h, "Connection", "upgrade"); got != tc.want {
			t.Errorf("%q: %v, want %v", tc.values, got, tc.want)
		}
	}
}
