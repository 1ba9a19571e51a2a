package client

import (
	"context"
	"encoding/pem"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/watch"

	v1 "vigil.dev/vigil/api/v1"
	"vigil.dev/vigil/internal/resource"
)

func certPEM(srv *httptest.Server) []byte {
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw})
}

// next reads one event or fails after a generous deadline (real I/O).
func next(t *testing.T, w watch.Interface) (watch.Event, bool) {
	t.Helper()
	select {
	case ev, ok := <-w.ResultChan():
		return ev, ok
	case <-time.After(10 * time.Second):
		t.Fatal("no watch event within 10s")
		return watch.Event{}, false
	}
}

func TestWatchDecodesTypedEventsAndErrors(t *testing.T) {
	var s seen
	c := unixServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.add(r)
		w.Header().Set("Content-Type", "application/json")
		w.Write([]byte(`{"type":"ADDED","object":{"kind":"VirtualMachineInstance","metadata":{"name":"a","resourceVersion":"11"},"status":{"phase":"Running"}}}` + "\n"))
		w.(http.Flusher).Flush()
		w.Write([]byte(`{"type":"DELETED","object":{"kind":"VirtualMachineInstance","metadata":{"name":"a","resourceVersion":"12"}}}` + "\n"))
		w.Write([]byte(`{"type":"ERROR","object":{"kind":"Status","apiVersion":"v1","status":"Failure","code":410,"reason":"Expired","message":"too old resource version"}}` + "\n"))
	}))
	w, err := c.Watch(context.Background(), resource.VirtualMachineInstances, "ns1", ListOptions{ResourceVersion: "10", FieldSelector: "metadata.name=a"})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Stop()

	ev, _ := next(t, w)
	vmi, ok := ev.Object.(*v1.VirtualMachineInstance)
	if ev.Type != watch.Added || !ok || vmi.Name != "a" || vmi.Status.Phase != v1.Running {
		t.Fatalf("first event %v %#v", ev.Type, ev.Object)
	}
	ev, _ = next(t, w)
	if ev.Type != watch.Deleted || ev.Object.(*v1.VirtualMachineInstance).ResourceVersion != "12" {
		t.Fatalf("second event %v %#v", ev.Type, ev.Object)
	}
	ev, _ = next(t, w)
	st, ok := ev.Object.(*metav1.Status)
	if ev.Type != watch.Error || !ok || st.Code != 410 || !apierrors.IsResourceExpired(apierrors.FromObject(st)) {
		t.Fatalf("third event %v %#v", ev.Type, ev.Object)
	}
	if _, ok := next(t, w); ok {
		t.Fatal("the channel stays open after the server ended the stream")
	}
	q := s.last(t).Query
	for _, want := range []string{"watch=true", "resourceVersion=10", "fieldSelector=metadata.name%3Da"} {
		if !strings.Contains(q, want) {
			t.Errorf("query %q lacks %q", q, want)
		}
	}
	if p := s.last(t).Path; p != "/apis/kubevirt.io/v1/namespaces/ns1/virtualmachineinstances" {
		t.Errorf("path %q", p)
	}
}

func TestWatchStopEndsAnOpenStream(t *testing.T) {
	done := make(chan struct{})
	c := unixServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(200)
		w.(http.Flusher).Flush()
		<-r.Context().Done()
		close(done)
	}))
	w, err := c.Watch(context.Background(), resource.VirtualMachines, "", ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	w.Stop()
	if _, ok := next(t, w); ok {
		t.Fatal("event after Stop")
	}
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("the server never saw the request end")
	}
}

func TestWatchCancelledContextEndsQuietly(t *testing.T) {
	c := unixServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(200)
		w.(http.Flusher).Flush()
		<-r.Context().Done()
	}))
	ctx, cancel := context.WithCancel(context.Background())
	w, err := c.Watch(ctx, resource.VirtualMachines, "", ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Stop()
	cancel()
	if ev, ok := next(t, w); ok {
		t.Fatalf("cancellation produced an event: %v %#v", ev.Type, ev.Object)
	}
}

func TestWatchRefusedIsAStatusError(t *testing.T) {
	c := unixServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, 410, apierrors.NewResourceExpired("too old resource version: 1 (5)").ErrStatus)
	}))
	_, err := c.Watch(context.Background(), resource.VirtualMachines, "", ListOptions{ResourceVersion: "1"})
	if !apierrors.IsResourceExpired(err) {
		t.Fatalf("error = %v", err)
	}
}

func TestCAFile(t *testing.T) {
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte(`{"gitVersion":"v0"}`))
	}))
	defer srv.Close()
	ca := filepath.Join(t.TempDir(), "ca.pem")
	if err := os.WriteFile(ca, certPEM(srv), 0o600); err != nil {
		t.Fatal(err)
	}
	c, err := New(Config{Server: srv.URL, CAFile: ca})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.ServerVersion(context.Background()); err != nil {
		t.Fatal(err)
	}
	empty := filepath.Join(t.TempDir(), "empty.pem")
	os.WriteFile(empty, []byte("not pem"), 0o600)
	if _, err := New(Config{Server: srv.URL, CAFile: empty}); err == nil || !strings.Contains(err.Error(), empty) {
		t.Errorf("a file without certificates was accepted: %v", err)
	}
}
