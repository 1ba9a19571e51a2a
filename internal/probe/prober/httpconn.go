package prober

import (
	"bufio"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/url"
	"time"
)

// dialer disables TCP keep-alive probes: a probe connection lives for one
// exchange, and setting them up costs system calls on every probe.
var dialer = net.Dialer{KeepAlive: -1}

// aLongTimeAgo is a deadline in the past: it makes blocked I/O return.
var aLongTimeAgo = time.Unix(1, 0)

// response is what one exchange returned.
type response struct {
	head
	body []byte // the first MaxOutput bytes, kept only for 3xx
}

// exchange sends raw to u's host over a new connection and reads the
// response, all within ctx. It returns with the connection closed and no
// goroutine left: cancellation works through the connection's deadline.
func exchange(ctx context.Context, u *url.URL, raw []byte, tlsConf *tls.Config) (resp response, err error) {
	phase := "connecting"
	defer func() {
		if err != nil {
			err = probeError(ctx, u, phase, err)
		}
	}()
	conn, err := dialer.DialContext(ctx, "tcp", dialAddress(u))
	if err != nil {
		return resp, err
	}
	var c net.Conn = conn
	defer func() { c.Close() }()
	if dl, ok := ctx.Deadline(); ok {
		conn.SetDeadline(dl)
	}
	if ctx.Done() != nil {
		stop := context.AfterFunc(ctx, func() { conn.SetDeadline(aLongTimeAgo) })
		defer stop()
	}
	if u.Scheme == "https" {
		phase = "TLS handshake"
		tc := tls.Client(conn, tlsConf)
		c = tc
		if err := tc.Handshake(); err != nil {
			return resp, err
		}
	}
	phase = "sending request"
	if _, err := c.Write(raw); err != nil {
		return resp, err
	}
	return readResponse(c, &phase)
}

func readResponse(c net.Conn, phase *string) (resp response, err error) {
	br := readers.Get().(*bufio.Reader)
	br.Reset(c)
	defer func() {
		br.Reset(nil)
		readers.Put(br)
	}()
	*phase = "awaiting headers"
	if resp.head, err = readHead(br); err != nil {
		return resp, err
	}
	*phase = "reading body"
	var keep []byte
	if resp.status >= 300 && resp.status < 400 {
		keep = make([]byte, 0, 512)
	}
	resp.body, err = readBody(br, &resp.head, MaxOutput, keep)
	return resp, err
}

// probeError is err as net/http's client would word it (`Get "URL": ...`),
// naming the phase when the deadline or a cancellation cut it short.
func probeError(ctx context.Context, u *url.URL, phase string, err error) error {
	cerr := ctx.Err()
	var ne net.Error
	if _, ok := ctx.Deadline(); ok && cerr == nil && errors.As(err, &ne) && ne.Timeout() {
		// The connection's deadline is ctx's; its timer may fire a hair
		// before ctx's own.
		cerr = context.DeadlineExceeded
	}
	if cerr != nil {
		err = fmt.Errorf("%w (%s)", cerr, phase)
	}
	return &url.Error{Op: "Get", URL: u.String(), Err: err}
}

// dialAddress is u's host:port, the scheme's port when u has none.
func dialAddress(u *url.URL) string {
	if u.Port() != "" {
		return u.Host
	}
	port := "80"
	if u.Scheme == "https" {
		port = "443"
	}
	return net.JoinHostPort(u.Hostname(), port)
}
