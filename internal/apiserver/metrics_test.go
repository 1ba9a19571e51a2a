package apiserver

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
)

func TestMetricsServesTheRegistry(t *testing.T) {
	probes := prometheus.NewCounterVec(prometheus.CounterOpts{Name: "vigil_probe_total", Help: "Probes run."},
		[]string{"kind", "type", "result"})
	probes.WithLabelValues("readiness", "http", "success").Add(3)
	reg, err := NewMetricsRegistry(probes)
	if err != nil {
		t.Fatal(err)
	}
	e := newEnv(t, func(c *Config) { c.Metrics = reg })
	r := e.do("GET", "/metrics", "", nil).must(t, 200)
	body := string(r.body)
	for _, want := range []string{
		`vigil_probe_total{kind="readiness",result="success",type="http"} 3`,
		"go_goroutines ", "process_start_time_seconds ",
	} {
		if !strings.Contains(body, want) {
			t.Errorf("/metrics lacks %q", want)
		}
	}
	if ct := r.header.Get("Content-Type"); !strings.HasPrefix(ct, "text/plain") {
		t.Errorf("content type %q", ct)
	}
	e.do("POST", "/metrics", "", nil).must(t, http.StatusMethodNotAllowed)

	if _, err := NewMetricsRegistry(probes, probes); err == nil {
		t.Error("a collector registered twice was accepted")
	}
}

func TestMetricsWithoutRegistryAndAuth(t *testing.T) {
	srv, err := New(Config{Store: sharedStore, Token: "secret"})
	if err != nil {
		t.Fatal(err)
	}
	h := srv.Handler(false) // a TCP listener: the token is required
	get := func(path, token string) *httptest.ResponseRecorder {
		req := httptest.NewRequest("GET", path, nil)
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		return rec
	}
	if rec := get("/metrics", ""); rec.Code != http.StatusUnauthorized {
		t.Errorf("/metrics without a token on TCP: %d", rec.Code)
	}
	if rec := get("/healthz", ""); rec.Code != http.StatusOK {
		t.Errorf("/healthz without a token: %d", rec.Code)
	}
	rec := get("/metrics", "secret")
	if rec.Code != http.StatusOK || !strings.Contains(rec.Body.String(), "go_goroutines ") {
		t.Errorf("/metrics with the token and no registry: %d %.200s", rec.Code, rec.Body.String())
	}
}
