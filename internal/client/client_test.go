package client

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/validation/field"

	v1 "vigil.dev/vigil/api/v1"
	"vigil.dev/vigil/internal/resource"
)

// unixServer serves h on a unix socket in a temporary directory and returns
// a client for it.
func unixServer(t *testing.T, h http.Handler, mod ...func(*Config)) *Client {
	t.Helper()
	sock := filepath.Join(t.TempDir(), "vigil.sock")
	l, err := net.Listen("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: h}
	go srv.Serve(l)
	t.Cleanup(func() { srv.Close() })
	cfg := Config{Server: "unix://" + sock}
	for _, m := range mod {
		m(&cfg)
	}
	c, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// seen records the requests a handler got.
type seen struct {
	mu   sync.Mutex
	reqs []recorded
}

type recorded struct {
	Method, Path, Query, ContentType, Accept, Auth string
	Body                                           []byte
}

func (s *seen) add(r *http.Request) recorded {
	body, _ := io.ReadAll(r.Body)
	rec := recorded{r.Method, r.URL.Path, r.URL.RawQuery, r.Header.Get("Content-Type"),
		r.Header.Get("Accept"), r.Header.Get("Authorization"), body}
	s.mu.Lock()
	s.reqs = append(s.reqs, rec)
	s.mu.Unlock()
	return rec
}

func (s *seen) last(t *testing.T) recorded {
	t.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.reqs) == 0 {
		t.Fatal("no request reached the server")
	}
	return s.reqs[len(s.reqs)-1]
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	json.NewEncoder(w).Encode(v)
}

const vmJSON = `{"apiVersion":"kubevirt.io/v1","kind":"VirtualMachine","metadata":{"name":"a","namespace":"ns1","resourceVersion":"7"},"spec":{"runStrategy":"Always","template":{"spec":{"domain":{"devices":{}}}}},"status":{"printableStatus":"Running","ready":true}}`

func TestGetOverUnixSocket(t *testing.T) {
	var s seen
	c := unixServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.add(r)
		w.Write([]byte(vmJSON))
	}))
	var vm v1.VirtualMachine
	if err := c.Get(context.Background(), resource.VirtualMachines, "ns1", "a", &vm); err != nil {
		t.Fatal(err)
	}
	req := s.last(t)
	if req.Method != "GET" || req.Path != "/apis/kubevirt.io/v1/namespaces/ns1/virtualmachines/a" {
		t.Errorf("request = %s %s", req.Method, req.Path)
	}
	if req.Accept != "application/json" {
		t.Errorf("Accept = %q", req.Accept)
	}
	if vm.Name != "a" || vm.ResourceVersion != "7" || vm.Status.PrintableStatus != "Running" || !vm.Status.Ready {
		t.Errorf("decoded %+v", vm)
	}
}

func TestStatusErrorsKeepReasonAndCauses(t *testing.T) {
	gr := schema.GroupResource{Group: "kubevirt.io", Resource: "virtualmachines"}
	invalid := apierrors.NewInvalid(v1.VirtualMachineGroupVersionKind.GroupKind(), "a", field.ErrorList{
		field.Invalid(field.NewPath("spec", "runStrategy"), "Sometimes", "Invalid RunStrategy (Sometimes)"),
	})
	cases := []struct {
		name  string
		code  int
		body  any
		check func(error) bool
		text  string
	}{
		{"not found", 404, apierrors.NewNotFound(gr, "a").ErrStatus, apierrors.IsNotFound, `virtualmachines.kubevirt.io "a" not found`},
		{"conflict", 409, apierrors.NewConflict(gr, "a", errors.New("the object has been modified")).ErrStatus, apierrors.IsConflict, "the object has been modified"},
		{"invalid", 422, invalid.ErrStatus, apierrors.IsInvalid, "Invalid RunStrategy (Sometimes)"},
		{"plain text", 500, "boom", apierrors.IsInternalError, "boom"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := unixServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if s, ok := tc.body.(string); ok {
					w.WriteHeader(tc.code)
					w.Write([]byte(s))
					return
				}
				writeJSON(w, tc.code, tc.body)
			}))
			var vm v1.VirtualMachine
			err := c.Get(context.Background(), resource.VirtualMachines, "default", "a", &vm)
			if !tc.check(err) {
				t.Fatalf("error %v (%T) is not of the expected kind", err, err)
			}
			if !strings.Contains(err.Error(), tc.text) {
				t.Errorf("error %q does not contain %q", err, tc.text)
			}
		})
	}
	t.Run("causes survive", func(t *testing.T) {
		c := unixServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			writeJSON(w, 422, invalid.ErrStatus)
		}))
		err := c.Create(context.Background(), resource.VirtualMachines, &v1.VirtualMachine{ObjectMeta: metav1.ObjectMeta{Name: "a"}})
		se, ok := err.(*apierrors.StatusError)
		if !ok || se.ErrStatus.Details == nil || len(se.ErrStatus.Details.Causes) != 1 {
			t.Fatalf("error %#v has no causes", err)
		}
		if f := se.ErrStatus.Details.Causes[0].Field; f != "spec.runStrategy" {
			t.Errorf("cause field = %q", f)
		}
	})
}

func TestWarningsReachTheHandler(t *testing.T) {
	var got []string
	c := unixServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Add("Warning", `299 - "spec.running is deprecated, please use spec.runStrategy instead."`)
		w.Header().Add("Warning", `299 - "second"`)
		w.Write([]byte(vmJSON))
	}), func(cfg *Config) { cfg.WarningHandler = func(s string) { got = append(got, s) } })
	var vm v1.VirtualMachine
	if err := c.Get(context.Background(), resource.VirtualMachines, "ns1", "a", &vm); err != nil {
		t.Fatal(err)
	}
	want := []string{"spec.running is deprecated, please use spec.runStrategy instead.", "second"}
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("warnings = %q, want %q", got, want)
	}
}

func TestCreateDefaultsNamespaceAndReplacesObject(t *testing.T) {
	var s seen
	c := unixServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.add(r)
		w.WriteHeader(201)
		w.Write([]byte(`{"apiVersion":"kubevirt.io/v1","kind":"VirtualMachine","metadata":{"name":"a","namespace":"default","uid":"u1"},"spec":{"template":null}}`))
	}))
	vm := &v1.VirtualMachine{ObjectMeta: metav1.ObjectMeta{Name: "a", Labels: map[string]string{"gone": "x"}}}
	if err := c.Create(context.Background(), resource.VirtualMachines, vm); err != nil {
		t.Fatal(err)
	}
	req := s.last(t)
	if req.Method != "POST" || req.Path != "/apis/kubevirt.io/v1/namespaces/default/virtualmachines" {
		t.Errorf("request = %s %s", req.Method, req.Path)
	}
	if req.ContentType != "application/json" || !strings.Contains(string(req.Body), `"gone":"x"`) {
		t.Errorf("body %s (%s)", req.Body, req.ContentType)
	}
	if vm.UID != "u1" || vm.Labels != nil {
		t.Errorf("object not replaced by the answer: %+v", vm.ObjectMeta)
	}
}

func TestVerbsSendTheRightRequests(t *testing.T) {
	var s seen
	c := unixServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.add(r)
		w.Write([]byte(vmJSON))
	}))
	ctx := context.Background()
	vm := &v1.VirtualMachine{ObjectMeta: metav1.ObjectMeta{Name: "a", Namespace: "ns1"}}
	list := &v1.VirtualMachineList{}
	cases := []struct {
		name                    string
		call                    func() error
		method, path, query, ct string
		body                    string
	}{
		{"list", func() error {
			return c.List(ctx, resource.VirtualMachines, "", ListOptions{LabelSelector: "app=x", FieldSelector: "metadata.name=a", Limit: 5}, list)
		}, "GET", "/apis/kubevirt.io/v1/virtualmachines", "fieldSelector=metadata.name%3Da&labelSelector=app%3Dx&limit=5", "", ""},
		{"update", func() error { return c.Update(ctx, resource.VirtualMachines, vm) },
			"PUT", "/apis/kubevirt.io/v1/namespaces/ns1/virtualmachines/a", "", "application/json", `"name":"a"`},
		{"update status", func() error { return c.UpdateStatus(ctx, resource.VirtualMachines, vm) },
			"PUT", "/apis/kubevirt.io/v1/namespaces/ns1/virtualmachines/a/status", "", "application/json", `"name":"a"`},
		{"patch", func() error {
			return c.Patch(ctx, resource.VirtualMachines, "ns1", "a", types.MergePatchType, []byte(`{"spec":{}}`), vm)
		}, "PATCH", "/apis/kubevirt.io/v1/namespaces/ns1/virtualmachines/a", "", "application/merge-patch+json", `{"spec":{}}`},
		{"delete", func() error {
			bg := metav1.DeletePropagationBackground
			return c.Delete(ctx, resource.Services, "ns1", "web", metav1.DeleteOptions{PropagationPolicy: &bg})
		}, "DELETE", "/api/v1/namespaces/ns1/services/web", "", "application/json", `"propagationPolicy":"Background"`},
		{"start", func() error { return c.VMAction(ctx, "ns1", "a", "start", nil) },
			"PUT", "/apis/subresources.kubevirt.io/v1/namespaces/ns1/virtualmachines/a/start", "", "application/json", `{}`},
		{"stop with body", func() error { return c.VMAction(ctx, "", "a", "stop", map[string]int{"gracePeriod": 0}) },
			"PUT", "/apis/subresources.kubevirt.io/v1/namespaces/default/virtualmachines/a/stop", "", "application/json", `"gracePeriod":0`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if err := tc.call(); err != nil {
				t.Fatal(err)
			}
			req := s.last(t)
			if req.Method != tc.method || req.Path != tc.path || req.Query != tc.query {
				t.Errorf("request = %s %s ?%s, want %s %s ?%s", req.Method, req.Path, req.Query, tc.method, tc.path, tc.query)
			}
			if req.ContentType != tc.ct || !strings.Contains(string(req.Body), tc.body) {
				t.Errorf("body %q (%s), want it to contain %q (%s)", req.Body, req.ContentType, tc.body, tc.ct)
			}
		})
	}
	if err := c.VMAction(ctx, "ns1", "a", "pause", nil); err == nil || !strings.Contains(err.Error(), `unknown action "pause"`) {
		t.Errorf("unknown action: %v", err)
	}
}

func TestDoReturnsRawBodyAndError(t *testing.T) {
	c := unixServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/missing" {
			writeJSON(w, 404, apierrors.NewNotFound(schema.GroupResource{Resource: "services"}, "x").ErrStatus)
			return
		}
		w.Write([]byte("{ \"exact\" :  1 }"))
	}))
	resp, err := c.Do(context.Background(), "GET", "/raw", nil, nil, "")
	if err != nil || string(resp.Body) != "{ \"exact\" :  1 }" || resp.Status != 200 {
		t.Fatalf("Do = %+v, %v", resp, err)
	}
	resp, err = c.Do(context.Background(), "GET", "/missing", nil, nil, "")
	if !apierrors.IsNotFound(err) || resp == nil || resp.Status != 404 {
		t.Fatalf("Do missing = %+v, %v", resp, err)
	}
}

func TestMissingSocketNamesServerAndHints(t *testing.T) {
	sock := filepath.Join(t.TempDir(), "nothing.sock")
	c, err := New(Config{Server: "unix://" + sock})
	if err != nil {
		t.Fatal(err)
	}
	err = c.Get(context.Background(), resource.VirtualMachines, "default", "a", &v1.VirtualMachine{})
	want := "cannot reach the vigil daemon at unix://" + sock + ": "
	if err == nil || !strings.HasPrefix(err.Error(), want) || !strings.HasSuffix(err.Error(), "(is `vigil serve` running?)") {
		t.Fatalf("error = %v", err)
	}
}

func TestRequestTimeout(t *testing.T) {
	release := make(chan struct{})
	defer close(release)
	c := unixServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-release:
		}
	}), func(cfg *Config) { cfg.Timeout = 50 * time.Millisecond })
	err := c.Get(context.Background(), resource.VirtualMachines, "default", "a", &v1.VirtualMachine{})
	if err == nil || !strings.Contains(err.Error(), "timed out") {
		t.Fatalf("error = %v", err)
	}
}

func TestHTTPSWithTokenAndCA(t *testing.T) {
	var s seen
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.add(r)
		w.Write([]byte(`{"major":"1","minor":"33","gitVersion":"v1.33.0-vigil"}`))
	}))
	srv.Config.ErrorLog = log.New(io.Discard, "", 0) // the untrusted handshake below is expected to fail
	srv.StartTLS()
	defer srv.Close()
	caPEM := certPEM(srv)

	c, err := New(Config{Server: srv.URL, Token: "s3cret", CAData: caPEM})
	if err != nil {
		t.Fatal(err)
	}
	info, err := c.ServerVersion(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if info.GitVersion != "v1.33.0-vigil" || s.last(t).Auth != "Bearer s3cret" || s.last(t).Path != "/version" {
		t.Errorf("version %+v, request %+v", info, s.last(t))
	}

	untrusted, err := New(Config{Server: srv.URL})
	if err != nil {
		t.Fatal(err)
	}
	_, err = untrusted.ServerVersion(context.Background())
	if !IsUnreachable(err) || !strings.HasPrefix(err.Error(), "cannot reach the vigil daemon at "+srv.URL+": tls: ") ||
		!strings.Contains(err.Error(), "certificate") {
		t.Errorf("untrusted server: %v", err)
	}
	insecure, err := New(Config{Server: srv.URL, InsecureSkipTLSVerify: true})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := insecure.ServerVersion(context.Background()); err != nil {
		t.Errorf("insecure: %v", err)
	}
}

func TestParseServer(t *testing.T) {
	cases := []struct {
		in, base, socket, err string
	}{
		{"", "http://localhost", "/run/vigil/vigil.sock", ""},
		{"unix:///tmp/x.sock", "http://localhost", "/tmp/x.sock", ""},
		{"https://127.0.0.1:8443", "https://127.0.0.1:8443", "", ""},
		{"https://h:1/prefix/", "https://h:1/prefix", "", ""},
		{"http://127.0.0.1:80", "", "", "scheme must be unix or https"},
		{"unix://", "", "", "no socket path"},
		{"https://", "", "", "no host"},
	}
	for _, tc := range cases {
		ep, err := parseServer(tc.in)
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("%q: error %v, want %q", tc.in, err, tc.err)
			}
			continue
		}
		if err != nil || ep.base != tc.base || ep.socket != tc.socket {
			t.Errorf("%q: %+v, %v", tc.in, ep, err)
		}
	}
}

func TestConfigFromEnv(t *testing.T) {
	t.Setenv(EnvServer, "https://127.0.0.1:9")
	t.Setenv(EnvToken, "tok")
	t.Setenv(EnvCAFile, "/ca.pem")
	cfg := ConfigFromEnv()
	if cfg.Server != "https://127.0.0.1:9" || cfg.Token != "tok" || cfg.CAFile != "/ca.pem" {
		t.Errorf("config = %+v", cfg)
	}
}
