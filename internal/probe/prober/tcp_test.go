package prober

import (
	"context"
	"io"
	"net"
	"testing"
)

func TestTCPOpenPort(t *testing.T) {
	got := make(chan int, 1)
	s := startRaw(t, func(c net.Conn) {
		n, _ := io.Copy(io.Discard, c) // until the prober's close
		got <- int(n)
	})
	want(t, run(t, NewTCP(s.target()), probeTimeout), Success, "")
	if n := <-got; n != 0 {
		t.Errorf("the prober sent %d bytes, want none", n)
	}
}

func TestTCPClosedPort(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	want(t, run(t, NewTCP(Target{Host: "127.0.0.1", Port: port}), probeTimeout), Failure, "connection refused")
}

func TestTCPIPv6Bracketed(t *testing.T) {
	ln, err := net.Listen("tcp6", "[::1]:0")
	if err != nil {
		t.Skipf("no IPv6 loopback: %v", err)
	}
	defer ln.Close()
	port := ln.Addr().(*net.TCPAddr).Port
	for _, host := range []string{"::1", "[::1]"} {
		want(t, run(t, NewTCP(Target{Host: host, Port: port}), probeTimeout), Success, "")
	}
}

func TestTCPCanceledIsUnknown(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	want(t, NewTCP(Target{Host: "127.0.0.1", Port: 1}).Probe(ctx), Unknown, "canceled")
}
