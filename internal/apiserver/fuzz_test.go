package apiserver

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// fuzzRequestTimeout ends watches (and anything else slow) of one input.
const fuzzRequestTimeout = 200 * time.Millisecond

var (
	fuzzOnce   sync.Once
	fuzzServer *Server
	fuzzLogs   *logRecorder
)

// FuzzServeHTTP sends arbitrary requests: none may panic (the recovery
// middleware would log it as PANIC), none may get a 500, and every error
// reply must be a Status carrying its own code.
func FuzzServeHTTP(f *testing.F) {
	vm, _ := json.Marshal(vmJSON("fz", "Halted"))
	seeds := []struct{ method, target, ct, body string }{
		{"GET", "/apis/kubevirt.io/v1/namespaces/fuzz/virtualmachines", "", ""},
		{"POST", "/apis/kubevirt.io/v1/namespaces/fuzz/virtualmachines", "application/json", string(vm)},
		{"POST", "/apis/kubevirt.io/v1/namespaces/fuzz/virtualmachines", "application/yaml", "metadata: {name: y}\nspec: {template: {spec: {}}}"},
		{"PUT", "/apis/kubevirt.io/v1/namespaces/fuzz/virtualmachines/fz", "application/json", string(vm)},
		{"PATCH", "/apis/kubevirt.io/v1/namespaces/fuzz/virtualmachines/fz", mergePatch, `{"spec":{"runStrategy":null}}`},
		{"PATCH", "/apis/kubevirt.io/v1/namespaces/fuzz/virtualmachines/fz", jsonPatch, `[{"op":"move","from":"/spec","path":"/metadata"}]`},
		{"PATCH", "/api/v1/namespaces/fuzz/services/s", strategicPatch, `{"$patch":"delete"}`},
		{"DELETE", "/apis/kubevirt.io/v1/namespaces/fuzz/virtualmachines/fz", "application/json", `{"preconditions":{"uid":""}}`},
		{"GET", "/apis/kubevirt.io/v1/virtualmachineinstances?watch=true&resourceVersion=1&labelSelector=a%3Db", "", ""},
		{"GET", "/api/v1/namespaces/fuzz/events?watch=true&fieldSelector=involvedObject.name%3Dx&allowWatchBookmarks=true", "", ""},
		{"PUT", "/apis/subresources.kubevirt.io/v1/namespaces/fuzz/virtualmachines/fz/start", "", `{"x":[1,2]}`},
		{"PUT", "/apis/kubevirt.io/v1/namespaces/fuzz/virtualmachineinstances/a/status", "application/json", `{"status":{"phase":7}}`},
		{"GET", "/apis/kubevirt.io/v1/namespaces/fuzz/virtualmachines?limit=1&continue=%%%", "", ""},
		{"OPTIONS", "/version", "", ""},
		{"GET", "/api/v1/namespaces/a%2Fb/services/..", "", ""},
		{"PATCH", "/apis/kubevirt.io/v1/namespaces/fuzz/virtualmachines/fz?fieldManager=f", applyPatch, "apiVersion: kubevirt.io/v1\nkind: VirtualMachine\nspec: {runStrategy: Manual}"},
		{"PATCH", "/api/v1/namespaces/fuzz/services/s?fieldManager=f&force=1&fieldValidation=Warn", applyPatch, `{"apiVersion":"v1","kind":"Service","spec":{"ports":[{"port":1},{"port":1}]}}`},
		{"POST", "/api/v1/namespaces/fuzz/events?fieldValidation=Ignore", "application/json", `{"metadata":{"name":"e"},"x":{"y":[1]}}`},
		{"GET", "/openapi/v3/apis/kubevirt.io/v1?hash=x", "", ""},
		{"GET", "/api/v1/namespaces/fuzz", "", ""},
	}
	for _, s := range seeds {
		f.Add(s.method, s.target, s.ct, []byte(s.body))
	}
	f.Fuzz(func(t *testing.T, method, target, contentType string, body []byte) {
		fuzzOnce.Do(func() {
			fuzzLogs = &logRecorder{}
			fuzzServer, _ = New(Config{Store: sharedStore, Logger: slog.New(fuzzLogs)})
		})
		ctx, cancel := context.WithTimeout(context.Background(), fuzzRequestTimeout)
		defer cancel()
		req, err := http.NewRequestWithContext(ctx, method, "http://vigil"+target, bytes.NewReader(body))
		if err != nil || !strings.HasPrefix(req.URL.Path, "/") {
			return // net/http would refuse this request line before any handler
		}
		req.Header.Set("Content-Type", contentType)
		rec := httptest.NewRecorder()
		fuzzServer.Handler(true).ServeHTTP(rec, req)
		if n := fuzzLogs.count("PANIC"); n > 0 {
			t.Fatalf("%s %q panicked", method, target)
		}
		checkFuzzReply(t, method, target, rec)
	})
}

func checkFuzzReply(t *testing.T, method, target string, rec *httptest.ResponseRecorder) {
	t.Helper()
	if rec.Code >= 500 && rec.Code != http.StatusServiceUnavailable && rec.Code != http.StatusGatewayTimeout {
		t.Fatalf("%s %q: %d %s", method, target, rec.Code, rec.Body.Bytes())
	}
	if rec.Code < 400 || !strings.HasPrefix(rec.Header().Get("Content-Type"), "application/json") {
		return
	}
	var st metav1.Status
	if err := json.Unmarshal(rec.Body.Bytes(), &st); err != nil || st.Kind != "Status" || int(st.Code) != rec.Code {
		t.Fatalf("%s %q: %d reply is not a matching Status: %s", method, target, rec.Code, rec.Body.Bytes())
	}
}
