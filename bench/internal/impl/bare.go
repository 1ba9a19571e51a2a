package impl

import (
	"bytes"
	"context"
	"net"
	"strconv"
	"time"

	"vigil.dev/vigil/internal/probe/prober"
)

// bareHTTP is the floor any HTTP probe stands on: dial, write one
// request, read until the status line is in, close. No headers parsed, no
// body read, no redirects, no TLS.
type bareHTTP struct {
	addr    string
	request []byte
	timeout time.Duration
}

func newBareHTTP(t prober.Target, path string, timeout time.Duration) (prober.Prober, error) {
	addr := net.JoinHostPort(t.Host, strconv.Itoa(t.Port))
	req := []byte("GET " + path + " HTTP/1.1\r\nHost: " + addr + "\r\nUser-Agent: bare\r\nConnection: close\r\n\r\n")
	return &bareHTTP{addr: addr, request: req, timeout: timeout}, nil
}

func (b *bareHTTP) Probe(ctx context.Context) prober.Outcome {
	timeout := timeoutOf(ctx, b.timeout)
	c, err := net.DialTimeout("tcp", b.addr, timeout)
	if err != nil {
		return prober.Outcome{Result: prober.Failure, Output: err.Error()}
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(timeout))
	if _, err := c.Write(b.request); err != nil {
		return prober.Outcome{Result: prober.Failure, Output: err.Error()}
	}
	var buf [256]byte
	n := 0
	for bytes.IndexByte(buf[:n], '\n') < 0 && n < len(buf) {
		m, err := c.Read(buf[n:])
		n += m
		if err != nil {
			break
		}
	}
	if n >= 12 && bytes.HasPrefix(buf[:n], []byte("HTTP/1.")) && buf[9] == '2' {
		return prober.Outcome{Result: prober.Success}
	}
	return prober.Outcome{Result: prober.Failure, Output: string(buf[:n])}
}

type bareTCP struct {
	addr    string
	timeout time.Duration
}

func newBareTCP(t prober.Target, _ string, timeout time.Duration) (prober.Prober, error) {
	return &bareTCP{addr: net.JoinHostPort(t.Host, strconv.Itoa(t.Port)), timeout: timeout}, nil
}

func (b *bareTCP) Probe(ctx context.Context) prober.Outcome {
	c, err := net.DialTimeout("tcp", b.addr, timeoutOf(ctx, b.timeout))
	if err != nil {
		return prober.Outcome{Result: prober.Failure, Output: err.Error()}
	}
	c.Close()
	return prober.Outcome{Result: prober.Success}
}
