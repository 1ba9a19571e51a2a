package target

import (
	"bufio"
	"fmt"
	"net"
	"strings"
	"testing"
	"time"
)

func TestResponse(t *testing.T) {
	at := time.Unix(0, 0)
	cases := []struct {
		path string
		now  time.Time
		want []byte
	}{
		{"/ok", at, okResponse},
		{"/nothing", at, notFound},
		{"/flip/1000/0", at, okResponse},
		{"/flip/1000/0", at.Add(1500 * time.Millisecond), downResponse},
		{"/flip/1000/500", at.Add(600 * time.Millisecond), downResponse},
		{"/flip/1000/500", at.Add(1600 * time.Millisecond), okResponse},
		{"/flip/0/0", at, notFound},
		{"/flip/x/0", at, notFound},
		{"/flip/1000", at, notFound},
	}
	for _, c := range cases {
		if got := response([]byte(c.path), c.now); string(got) != string(c.want) {
			t.Errorf("%s at %v: got %q, want %q", c.path, c.now.Sub(at), got[:12], c.want[:12])
		}
	}
}

func TestFlipPathRoundTrip(t *testing.T) {
	p := FlipPath(4*time.Second, 1250*time.Millisecond)
	period, phase, ok := flipArgs([]byte(strings.TrimPrefix(p, "/flip/")))
	if !ok || period != 4*time.Second || phase != 1250*time.Millisecond {
		t.Fatalf("%s parsed as %v %v %v", p, period, phase, ok)
	}
}

func TestServers(t *testing.T) {
	h, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close()
	go ServeHTTP(h)
	c, err := net.Dial("tcp", h.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	fmt.Fprint(c, "GET /ok HTTP/1.1\r\nHost: x\r\n\r\n")
	status, err := bufio.NewReader(c).ReadString('\n')
	if err != nil || status != "HTTP/1.1 200 OK\r\n" {
		t.Fatalf("status line %q, %v", status, err)
	}

	tl, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer tl.Close()
	go ServeTCP(tl)
	c2, err := net.Dial("tcp", tl.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer c2.Close()
	c2.SetReadDeadline(time.Now().Add(5 * time.Second))
	if n, err := c2.Read(make([]byte, 1)); n != 0 || err == nil {
		t.Fatalf("tcp target sent %d bytes, %v; want it to close", n, err)
	}
}
