package target

import (
	"bytes"
	"net"
	"strconv"
	"time"
)

var (
	okResponse   = []byte("HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok")
	downResponse = []byte("HTTP/1.1 503 Service Unavailable\r\nContent-Type: text/plain\r\nContent-Length: 4\r\nConnection: close\r\n\r\ndown")
	notFound     = []byte("HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
)

// maxRequest bounds a request head; probes send a few hundred bytes.
const maxRequest = 8 << 10

// ServeHTTP answers probe requests on ln until it is closed.
func ServeHTTP(ln net.Listener) error {
	for {
		c, err := ln.Accept()
		if err != nil {
			return err
		}
		go answer(c)
	}
}

// ServeTCP accepts and closes connections on ln until it is closed.
func ServeTCP(ln net.Listener) error {
	for {
		c, err := ln.Accept()
		if err != nil {
			return err
		}
		c.Close()
	}
}

func answer(c net.Conn) {
	defer c.Close()
	c.SetDeadline(time.Now().Add(5 * time.Second))
	var buf [maxRequest]byte
	n := 0
	for !bytes.Contains(buf[:n], []byte("\r\n\r\n")) && n < len(buf) {
		m, err := c.Read(buf[n:])
		n += m
		if err != nil {
			return
		}
	}
	c.Write(response(requestPath(buf[:n]), time.Now()))
}

// requestPath is the target of "GET /path HTTP/1.1".
func requestPath(head []byte) []byte {
	_, rest, ok := bytes.Cut(head, []byte{' '})
	if !ok {
		return nil
	}
	path, _, _ := bytes.Cut(rest, []byte{' '})
	return path
}

func response(path []byte, now time.Time) []byte {
	switch {
	case bytes.Equal(path, []byte("/ok")):
		return okResponse
	case bytes.HasPrefix(path, []byte("/flip/")):
		period, phase, ok := flipArgs(path[len("/flip/"):])
		if !ok {
			return notFound
		}
		if Healthy(now, period, phase) {
			return okResponse
		}
		return downResponse
	default:
		return notFound
	}
}

func flipArgs(b []byte) (period, phase time.Duration, ok bool) {
	a, c, found := bytes.Cut(b, []byte{'/'})
	if !found {
		return 0, 0, false
	}
	p, err1 := strconv.Atoi(string(a))
	q, err2 := strconv.Atoi(string(c))
	if err1 != nil || err2 != nil || p <= 0 || q < 0 {
		return 0, 0, false
	}
	return time.Duration(p) * time.Millisecond, time.Duration(q) * time.Millisecond, true
}

// Healthy says whether a flip target answers 200 at now: it alternates
// every period, shifted by phase.
func Healthy(now time.Time, period, phase time.Duration) bool {
	return (now.UnixNano()+int64(phase))/int64(period)%2 == 0
}

// FlipPath is the path of a flip target.
func FlipPath(period, phase time.Duration) string {
	return "/flip/" + strconv.FormatInt(period.Milliseconds(), 10) + "/" + strconv.FormatInt(phase.Milliseconds(), 10)
}
