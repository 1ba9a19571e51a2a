package prober

import (
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"runtime"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
)

// TestNoGoroutinesLeftBehind runs every HTTP and TCP outcome, then counts
// goroutines once the servers (whose goroutines the test owns) are gone.
func TestNoGoroutinesLeftBehind(t *testing.T) {
	before := runtime.NumGoroutine()
	func() {
		ok := startRaw(t, func(c net.Conn) {
			readRequest(c)
			fmt.Fprint(c, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
		})
		silent := startRaw(t, func(c net.Conn) { io.Copy(io.Discard, c) })
		tlsServer := httptest.NewTLSServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
		defer tlsServer.Close()
		defer ok.Close()
		defer silent.Close()
		probers := []struct {
			p       Prober
			timeout time.Duration
		}{
			{newHTTP(t, corev1.HTTPGetAction{}, ok.target()), probeTimeout},
			{newHTTP(t, corev1.HTTPGetAction{}, silent.target()), 20 * time.Millisecond},
			{newHTTP(t, corev1.HTTPGetAction{Scheme: corev1.URISchemeHTTPS}, httpTarget(t, tlsServer)), probeTimeout},
			{NewTCP(ok.target()), probeTimeout},
			{NewTCP(Target{Host: "127.0.0.1", Port: 1}), probeTimeout},
		}
		for range 20 {
			for _, c := range probers {
				run(t, c.p, c.timeout)
			}
		}
		tlsServer.CloseClientConnections()
	}()
	deadline := time.Now().Add(5 * time.Second) // servers' goroutines finish on their own schedule
	for runtime.NumGoroutine() > before && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	if n := runtime.NumGoroutine(); n > before {
		t.Errorf("%d goroutines before, %d after:\n%s", before, n, proberGoroutines())
	}
}
