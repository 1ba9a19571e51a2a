package prober

import (
	"context"
	"fmt"
	"io"
	"net"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
)

func TestHTTPNeverAnswersTimesOut(t *testing.T) {
	s := startRaw(t, func(c net.Conn) { io.Copy(io.Discard, c) }) // reads until the prober hangs up
	const timeout = 200 * time.Millisecond
	start := time.Now()
	got := run(t, newHTTP(t, corev1.HTTPGetAction{}, s.target()), timeout)
	elapsed := time.Since(start)
	want(t, got, Failure, "context deadline exceeded (awaiting headers)")
	if elapsed < timeout || elapsed > timeout+time.Second {
		t.Errorf("probe took %v, want about %v", elapsed, timeout)
	}
	assertNoProberGoroutines(t)
}

func TestHTTPStallMidBodyTimesOut(t *testing.T) {
	s := startRaw(t, func(c net.Conn) {
		readRequest(c)
		fmt.Fprint(c, "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nonly ten..")
		io.Copy(io.Discard, c)
	})
	got := run(t, newHTTP(t, corev1.HTTPGetAction{}, s.target()), 200*time.Millisecond)
	want(t, got, Failure, "context deadline exceeded (reading body)")
}

func TestHTTPConnectionProblems(t *testing.T) {
	cases := []struct {
		name   string
		handle func(net.Conn)
		output string
	}{
		{"closes at once", func(net.Conn) {}, `Get "http://127.0.0.1:`}, // EOF or reset, as the race goes
		{"closes without answering", func(c net.Conn) { readRequest(c) }, ": EOF"},
		{"closes mid-headers", func(c net.Conn) {
			readRequest(c)
			fmt.Fprint(c, "HTTP/1.1 200 OK\r\nContent-")
		}, "unexpected EOF"},
		{"body cut short", func(c net.Conn) {
			readRequest(c)
			fmt.Fprint(c, "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc")
		}, "unexpected EOF"},
		{"reset", func(c net.Conn) {
			readRequest(c)
			c.(*net.TCPConn).SetLinger(0)
		}, "connection reset by peer"},
		{"garbage", func(c net.Conn) {
			readRequest(c)
			fmt.Fprint(c, "SSH-2.0-OpenSSH\r\n\r\n")
		}, "malformed HTTP response"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s := startRaw(t, c.handle)
			want(t, run(t, newHTTP(t, corev1.HTTPGetAction{}, s.target()), probeTimeout), Failure, c.output)
		})
	}
}

func TestHTTPConnectionRefused(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	got := run(t, newHTTP(t, corev1.HTTPGetAction{}, Target{Host: "127.0.0.1", Port: port}), probeTimeout)
	want(t, got, Failure, fmt.Sprintf(`Get "http://127.0.0.1:%d/": dial tcp 127.0.0.1:%d: connect: connection refused`, port, port))
}

func TestHTTPCanceledIsUnknown(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	s := startRaw(t, func(c net.Conn) {
		readRequest(c)
		cancel() // the worker stops while the guest thinks
		io.Copy(io.Discard, c)
	})
	got := newHTTP(t, corev1.HTTPGetAction{}, s.target()).Probe(ctx)
	want(t, got, Unknown, "context canceled (awaiting headers)")
	assertNoProberGoroutines(t)
}
