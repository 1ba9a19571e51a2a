package prober

import (
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
)

// seen is what a server received.
type seen struct {
	host   string
	header http.Header
	close  bool
}

func captureServer(t *testing.T) (*httptest.Server, chan seen) {
	ch := make(chan seen, 1)
	s := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ch <- seen{host: r.Host, header: r.Header.Clone(), close: r.Close}
	}))
	t.Cleanup(s.Close)
	return s, ch
}

func TestHTTPHeaders(t *testing.T) {
	hs := func(kv ...string) []corev1.HTTPHeader {
		var out []corev1.HTTPHeader
		for i := 0; i < len(kv); i += 2 {
			out = append(out, corev1.HTTPHeader{Name: kv[i], Value: kv[i+1]})
		}
		return out
	}
	cases := []struct {
		name    string
		headers []corev1.HTTPHeader
		check   func(t *testing.T, s seen, defaultHost string)
	}{
		{"defaults", nil, func(t *testing.T, s seen, host string) {
			wantHeader(t, s.header, "User-Agent", "vigil-probe/test")
			wantHeader(t, s.header, "Accept", "*/*")
			wantHeader(t, s.header, "Accept-Encoding")
			if s.host != host || !s.close {
				t.Errorf("host %q close %v, want %q and Connection: close", s.host, s.close, host)
			}
		}},
		{"repeats accumulate", hs("X-Probe", "a", "x-probe", "b"), func(t *testing.T, s seen, _ string) {
			wantHeader(t, s.header, "X-Probe", "a", "b")
		}},
		{"user agent and accept replaced", hs("User-Agent", "mine/1", "accept", "text/plain"), func(t *testing.T, s seen, _ string) {
			wantHeader(t, s.header, "User-Agent", "mine/1")
			wantHeader(t, s.header, "Accept", "text/plain")
		}},
		{"empty value removes", hs("User-Agent", "", "Accept", ""), func(t *testing.T, s seen, _ string) {
			wantHeader(t, s.header, "User-Agent")
			wantHeader(t, s.header, "Accept")
		}},
		{"host sets the host line only", hs("Host", "app.example"), func(t *testing.T, s seen, _ string) {
			if s.host != "app.example" {
				t.Errorf("host = %q, want app.example", s.host)
			}
			wantHeader(t, s.header, "Host")
		}},
		{"framing headers dropped", hs("Content-Length", "5", "Transfer-Encoding", "chunked", "Connection", "keep-alive"),
			func(t *testing.T, s seen, _ string) {
				wantHeader(t, s.header, "Content-Length")
				wantHeader(t, s.header, "Transfer-Encoding")
				if !s.close {
					t.Error("Connection: close not sent")
				}
			}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s, ch := captureServer(t)
			target := httpTarget(t, s)
			want(t, run(t, newHTTP(t, corev1.HTTPGetAction{HTTPHeaders: c.headers}, target), probeTimeout), Success, "")
			c.check(t, <-ch, strings.TrimPrefix(s.URL, "http://"))
		})
	}
}

func wantHeader(t *testing.T, h http.Header, name string, values ...string) {
	t.Helper()
	if got := h.Values(name); !slices.Equal(got, values) {
		t.Errorf("%s = %q, want %q", name, got, values)
	}
}

func TestHTTPHostSurvivesRelativeRedirectOnly(t *testing.T) {
	hosts := make(chan string, 4)
	var s *httptest.Server
	s = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hosts <- r.Host
		switch r.URL.Path {
		case "/":
			http.Redirect(w, r, "/rel", http.StatusFound)
		case "/rel":
			http.Redirect(w, r, s.URL+"/abs", http.StatusFound)
		}
	}))
	defer s.Close()
	hs := []corev1.HTTPHeader{{Name: "Host", Value: "app.example"}}
	want(t, run(t, newHTTP(t, corev1.HTTPGetAction{HTTPHeaders: hs}, httpTarget(t, s)), probeTimeout), Success, "")
	got := []string{<-hosts, <-hosts, <-hosts}
	wantHosts := []string{"app.example", "app.example", strings.TrimPrefix(s.URL, "http://")}
	if !slices.Equal(got, wantHosts) {
		t.Errorf("hosts = %q, want %q", got, wantHosts)
	}
}

func TestHTTPRequestBytes(t *testing.T) {
	p, err := NewHTTP(&corev1.HTTPGetAction{Path: "/h?x=1", HTTPHeaders: []corev1.HTTPHeader{{Name: "x-a", Value: " 1 "}}},
		Target{Host: "10.0.0.5", Port: 8080}, HTTPOptions{UserAgent: "vigil-probe/v1"})
	if err != nil {
		t.Fatal(err)
	}
	want := "GET /h?x=1 HTTP/1.1\r\nHost: 10.0.0.5:8080\r\nUser-Agent: vigil-probe/v1\r\nAccept: */*\r\n" +
		"X-A: 1\r\nConnection: close\r\n\r\n"
	if got := string(p.(*httpProber).raw); got != want {
		t.Errorf("request:\n%q\nwant\n%q", got, want)
	}
}

func TestHTTPDefaultUserAgent(t *testing.T) {
	s, ch := captureServer(t)
	p, err := NewHTTP(&corev1.HTTPGetAction{}, httpTarget(t, s), HTTPOptions{})
	if err != nil {
		t.Fatal(err)
	}
	want(t, run(t, p, probeTimeout), Success, "")
	if ua := (<-ch).header.Get("User-Agent"); !strings.HasPrefix(ua, "vigil-probe/") {
		t.Errorf("User-Agent = %q, want vigil-probe/<version>", ua)
	}
}

func TestNewHTTPRejects(t *testing.T) {
	ok := Target{Host: "127.0.0.1", Port: 80}
	cases := []struct {
		name   string
		action *corev1.HTTPGetAction
		target Target
		field  string
	}{
		{"nil action", nil, ok, "httpGet"},
		{"scheme", &corev1.HTTPGetAction{Scheme: "FTP"}, ok, "httpGet.scheme"},
		{"no host", &corev1.HTTPGetAction{}, Target{Port: 80}, "httpGet.host"},
		{"port 0", &corev1.HTTPGetAction{}, Target{Host: "h", Port: 0}, "httpGet.port"},
		{"port too big", &corev1.HTTPGetAction{}, Target{Host: "h", Port: 70000}, "httpGet.port"},
		{"path", &corev1.HTTPGetAction{Path: "/%zz"}, ok, "httpGet.path"},
		{"header name", &corev1.HTTPGetAction{HTTPHeaders: []corev1.HTTPHeader{{Name: "a b", Value: "v"}}}, ok, "httpGet.httpHeaders[0].name"},
		{"header value", &corev1.HTTPGetAction{HTTPHeaders: []corev1.HTTPHeader{{Name: "A", Value: "v"}, {Name: "B", Value: "x\r\nEvil: 1"}}}, ok,
			"httpGet.httpHeaders[1].value"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := NewHTTP(c.action, c.target, HTTPOptions{})
			if err == nil || !strings.HasPrefix(err.Error(), c.field+":") {
				t.Fatalf("error = %v, want one about %s", err, c.field)
			}
		})
	}
}
