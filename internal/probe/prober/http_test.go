package prober

import (
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"

	corev1 "k8s.io/api/core/v1"
)

func httpTarget(t *testing.T, s *httptest.Server) Target {
	t.Helper()
	u, err := url.Parse(s.URL)
	if err != nil {
		t.Fatal(err)
	}
	port, _ := strconv.Atoi(u.Port())
	return Target{Host: u.Hostname(), Port: port}
}

func newHTTP(t *testing.T, action corev1.HTTPGetAction, target Target) Prober {
	t.Helper()
	p, err := NewHTTP(&action, target, HTTPOptions{UserAgent: "vigil-probe/test"})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func TestHTTPStatus(t *testing.T) {
	cases := []struct {
		status int
		result Result
		output string
	}{
		{200, Success, ""},
		{204, Success, ""},
		{299, Success, ""},
		{300, Warning, "statuscode 300"},
		{304, Warning, "statuscode 304"},
		{302, Warning, "statuscode 302"}, // a redirect without Location is not followed
		{101, Failure, "HTTP probe failed with statuscode: 101"},
		{400, Failure, "HTTP probe failed with statuscode: 400"},
		{404, Failure, "HTTP probe failed with statuscode: 404"},
		{500, Failure, "HTTP probe failed with statuscode: 500"},
		{503, Failure, "HTTP probe failed with statuscode: 503"},
	}
	for _, c := range cases {
		t.Run(strconv.Itoa(c.status), func(t *testing.T) {
			s := startRaw(t, func(conn net.Conn) {
				readRequest(conn)
				fmt.Fprintf(conn, "HTTP/1.1 %d X\r\nContent-Length: 4\r\n\r\nbody", c.status)
			})
			got := run(t, newHTTP(t, corev1.HTTPGetAction{}, s.target()), probeTimeout)
			want(t, got, c.result, c.output)
			if c.result == Failure && got.Output != c.output {
				t.Errorf("output = %q, want exactly %q", got.Output, c.output)
			}
		})
	}
	assertNoProberGoroutines(t)
}

// redirectServer answers /hop/N with a redirect to /hop/N+1 until last,
// which gets final; it counts requests.
func redirectServer(t *testing.T, last, final int, requests *atomic.Int32) *httptest.Server {
	s := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		requests.Add(1)
		n, _ := strconv.Atoi(strings.TrimPrefix(r.URL.Path, "/hop/"))
		if n < last {
			http.Redirect(w, r, fmt.Sprintf("/hop/%d", n+1), http.StatusFound)
			return
		}
		w.WriteHeader(final)
	}))
	t.Cleanup(s.Close)
	return s
}

func TestHTTPSameHostRedirectIsFollowed(t *testing.T) {
	var requests atomic.Int32
	s := redirectServer(t, 3, http.StatusInternalServerError, &requests)
	got := run(t, newHTTP(t, corev1.HTTPGetAction{Path: "/hop/0"}, httpTarget(t, s)), probeTimeout)
	want(t, got, Failure, "statuscode: 500")
	if requests.Load() != 4 {
		t.Errorf("server saw %d requests, want 4", requests.Load())
	}
}

func TestHTTPRedirectLimit(t *testing.T) {
	// Like net/http's default policy (so kubelet): ten requests in all.
	t.Run("nine redirects then 200", func(t *testing.T) {
		var requests atomic.Int32
		s := redirectServer(t, 9, http.StatusOK, &requests)
		want(t, run(t, newHTTP(t, corev1.HTTPGetAction{Path: "/hop/0"}, httpTarget(t, s)), probeTimeout), Success, "")
		if requests.Load() != 10 {
			t.Errorf("server saw %d requests, want 10", requests.Load())
		}
	})
	t.Run("loop", func(t *testing.T) {
		var requests atomic.Int32
		s := redirectServer(t, 1<<30, http.StatusOK, &requests)
		got := run(t, newHTTP(t, corev1.HTTPGetAction{Path: "/hop/0"}, httpTarget(t, s)), probeTimeout)
		want(t, got, Failure, "stopped after 10 redirects")
		if requests.Load() != 10 {
			t.Errorf("server saw %d requests, want 10", requests.Load())
		}
	})
}

func TestHTTPRedirectToAnotherHostIsNotFollowed(t *testing.T) {
	var elsewhere atomic.Int32
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { elsewhere.Add(1) }))
	defer other.Close()
	otherURL := strings.Replace(other.URL, "127.0.0.1", "localhost", 1)
	s := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Location", otherURL+"/x")
		w.WriteHeader(http.StatusMovedPermanently)
		fmt.Fprint(w, "gone")
	}))
	defer s.Close()
	got := run(t, newHTTP(t, corev1.HTTPGetAction{}, httpTarget(t, s)), probeTimeout)
	want(t, got, Warning, otherURL+"/x is on another host")
	want(t, got, Warning, "response body: gone")
	if elsewhere.Load() != 0 {
		t.Errorf("the other host got %d requests", elsewhere.Load())
	}
}

func TestHTTPRedirectToSameHostOtherPortIsFollowed(t *testing.T) {
	var hits atomic.Int32
	final := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { hits.Add(1) }))
	defer final.Close()
	s := httptest.NewServer(http.RedirectHandler(final.URL+"/ok", http.StatusTemporaryRedirect))
	defer s.Close()
	want(t, run(t, newHTTP(t, corev1.HTTPGetAction{}, httpTarget(t, s)), probeTimeout), Success, "")
	if hits.Load() != 1 {
		t.Errorf("the redirect target got %d requests, want 1", hits.Load())
	}
}

func TestHTTPRedirectToHTTPSOnSameHostIsFollowed(t *testing.T) {
	secure := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/secure" {
			w.WriteHeader(http.StatusNotFound)
		}
	}))
	defer secure.Close()
	s := httptest.NewServer(http.RedirectHandler(secure.URL+"/secure", http.StatusMovedPermanently))
	defer s.Close()
	want(t, run(t, newHTTP(t, corev1.HTTPGetAction{}, httpTarget(t, s)), probeTimeout), Success, "")
}

func TestHTTPBodyIsBounded(t *testing.T) {
	big := strings.Repeat("x", 1<<20)
	t.Run("success with a large body", func(t *testing.T) {
		s := startRaw(t, func(c net.Conn) {
			readRequest(c)
			fmt.Fprintf(c, "HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n%s", len(big), big)
		})
		want(t, run(t, newHTTP(t, corev1.HTTPGetAction{}, s.target()), probeTimeout), Success, "")
	})
	t.Run("warning output keeps 10 KiB", func(t *testing.T) {
		s := startRaw(t, func(c net.Conn) {
			readRequest(c)
			fmt.Fprintf(c, "HTTP/1.1 300 Choices\r\n\r\n%s", big) // ends with the connection
		})
		got := run(t, newHTTP(t, corev1.HTTPGetAction{}, s.target()), probeTimeout)
		want(t, got, Warning, "xxxx")
		if len(got.Output) != MaxOutput {
			t.Errorf("output is %d bytes, want %d", len(got.Output), MaxOutput)
		}
	})
}

func TestHTTPChunkedBody(t *testing.T) {
	s := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusMultipleChoices)
		for i := range 3 {
			fmt.Fprintf(w, "part%d;", i)
			w.(http.Flusher).Flush()
		}
	}))
	defer s.Close()
	got := run(t, newHTTP(t, corev1.HTTPGetAction{}, httpTarget(t, s)), probeTimeout)
	want(t, got, Warning, "response body: part0;part1;part2;")
	if strings.Contains(got.Output, "\r\n") {
		t.Errorf("chunk framing leaked into the body: %q", got.Output)
	}
}

func TestHTTPMalformedChunkIsFailure(t *testing.T) {
	s := startRaw(t, func(c net.Conn) {
		readRequest(c)
		fmt.Fprint(c, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nabc\r\n0\r\n\r\n")
	})
	want(t, run(t, newHTTP(t, corev1.HTTPGetAction{}, s.target()), probeTimeout), Failure, "malformed chunked encoding")
}

func TestHTTPS(t *testing.T) {
	s := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.TLS == nil {
			w.WriteHeader(http.StatusBadRequest)
		}
	}))
	defer s.Close()
	p := newHTTP(t, corev1.HTTPGetAction{Scheme: corev1.URISchemeHTTPS}, httpTarget(t, s))
	want(t, run(t, p, probeTimeout), Success, "")
	assertNoProberGoroutines(t)
}

func TestHTTPPathAndQuery(t *testing.T) {
	got := make(chan string, 1)
	s := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { got <- r.RequestURI }))
	defer s.Close()
	want(t, run(t, newHTTP(t, corev1.HTTPGetAction{Path: "healthz?full=1#frag"}, httpTarget(t, s)), probeTimeout), Success, "")
	if uri := <-got; uri != "/healthz?full=1" {
		t.Errorf("request URI = %q, want /healthz?full=1", uri)
	}
}

func TestHTTPIPv6(t *testing.T) {
	ln, err := net.Listen("tcp6", "[::1]:0")
	if err != nil {
		t.Skipf("no IPv6 loopback: %v", err)
	}
	hosts := make(chan string, 1)
	s := &httptest.Server{Listener: ln, Config: &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hosts <- r.Host
	})}}
	s.Start()
	defer s.Close()
	port := ln.Addr().(*net.TCPAddr).Port
	want(t, run(t, newHTTP(t, corev1.HTTPGetAction{}, Target{Host: "::1", Port: port}), probeTimeout), Success, "")
	if h, w := <-hosts, fmt.Sprintf("[::1]:%d", port); h != w {
		t.Errorf("Host = %q, want %q", h, w)
	}
}
