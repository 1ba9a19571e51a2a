package apiserver

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestDebugPprof(t *testing.T) {
	serve := func(debug, trusted bool, path string) *httptest.ResponseRecorder {
		t.Helper()
		srv, err := New(Config{Store: sharedStore, Token: "secret", DebugPprof: debug})
		if err != nil {
			t.Fatal(err)
		}
		req := httptest.NewRequest("GET", path, nil)
		req.Header.Set("Authorization", "Bearer secret")
		rec := httptest.NewRecorder()
		srv.Handler(trusted).ServeHTTP(rec, req)
		return rec
	}
	// Off by default: the path is no route.
	if rec := serve(false, true, "/debug/pprof/heap"); rec.Code != http.StatusNotFound {
		t.Errorf("without DebugPprof: %d", rec.Code)
	}
	// On, but never on TCP, not even with the token.
	if rec := serve(true, false, "/debug/pprof/heap"); rec.Code != http.StatusNotFound {
		t.Errorf("DebugPprof on an untrusted listener: %d", rec.Code)
	}
	// On the unix socket: the index and a profile in pprof's format.
	rec := serve(true, true, "/debug/pprof/")
	if rec.Code != http.StatusOK || !strings.Contains(rec.Body.String(), "goroutine") {
		t.Errorf("index: %d %q", rec.Code, truncateForLog(rec.Body.String()))
	}
	rec = serve(true, true, "/debug/pprof/heap")
	if rec.Code != http.StatusOK || rec.Body.Len() == 0 || rec.Header().Get("Content-Type") != "application/octet-stream" {
		t.Errorf("heap: %d, %d bytes, %q", rec.Code, rec.Body.Len(), rec.Header().Get("Content-Type"))
	}
	rec = serve(true, true, "/debug/pprof/goroutine?debug=1")
	if rec.Code != http.StatusOK || !strings.Contains(rec.Body.String(), "goroutine profile:") {
		t.Errorf("goroutine: %d %q", rec.Code, truncateForLog(rec.Body.String()))
	}
	// Other paths still reach the API.
	if rec := serve(true, true, "/healthz"); rec.Code != http.StatusOK {
		t.Errorf("/healthz with DebugPprof: %d", rec.Code)
	}
}

func truncateForLog(s string) string {
	if len(s) > 200 {
		return s[:200] + "..."
	}
	return s
}
