package apiserver

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestTokenFile(t *testing.T) {
	dir := t.TempDir()
	tok, err := LoadOrCreateToken(dir)
	if err != nil {
		t.Fatal(err)
	}
	if raw, err := hex.DecodeString(tok); err != nil || len(raw) != 32 {
		t.Errorf("token %q is not 32 bytes of hex", tok)
	}
	fi, err := os.Stat(filepath.Join(dir, TokenFile))
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("token file: %v mode %v", err, fi.Mode())
	}
	again, err := LoadOrCreateToken(dir)
	if err != nil || again != tok {
		t.Errorf("second load: %q %v, want the same token", again, err)
	}
}

func TestServerCertificate(t *testing.T) {
	dir := t.TempDir()
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	cfg, err := LoadOrCreateServerTLS(dir, []string{"127.0.0.1", "::1", "localhost"}, now)
	if err != nil {
		t.Fatal(err)
	}
	leaf := cfg.Certificates[0].Leaf
	if err := leaf.VerifyHostname("127.0.0.1"); err != nil {
		t.Error(err)
	}
	if err := leaf.VerifyHostname("localhost"); err != nil {
		t.Error(err)
	}
	for name, mode := range map[string]os.FileMode{CACertFile: 0o644, CAKeyFile: 0o600, ServerCertFile: 0o644, ServerKeyFile: 0o600} {
		fi, err := os.Stat(filepath.Join(dir, name))
		if err != nil || fi.Mode().Perm() != mode {
			t.Errorf("%s: %v mode %v, want %v", name, err, fi.Mode().Perm(), mode)
		}
	}
	same, err := LoadOrCreateServerTLS(dir, []string{"localhost"}, now.Add(time.Hour))
	if err != nil || same.Certificates[0].Leaf.SerialNumber.Cmp(leaf.SerialNumber) != 0 {
		t.Errorf("the certificate was re-issued although it still fits (%v)", err)
	}
	wider, err := LoadOrCreateServerTLS(dir, []string{"localhost", "10.1.2.3"}, now.Add(time.Hour))
	if err != nil || wider.Certificates[0].Leaf.VerifyHostname("10.1.2.3") != nil {
		t.Errorf("a new listen address did not get a certificate (%v)", err)
	}
	late, err := LoadOrCreateServerTLS(dir, []string{"localhost"}, now.Add(serverCertLifetime-24*time.Hour))
	if err != nil || late.Certificates[0].Leaf.SerialNumber.Cmp(wider.Certificates[0].Leaf.SerialNumber) == 0 {
		t.Errorf("a certificate near its end was not renewed (%v)", err)
	}
}

// On TCP the bearer token is required; the health paths are open.
func TestBearerTokenRequiredOnTCP(t *testing.T) {
	dir := t.TempDir()
	tok, err := LoadOrCreateToken(dir)
	if err != nil {
		t.Fatal(err)
	}
	tlsCfg, err := LoadOrCreateServerTLS(dir, []string{"127.0.0.1"}, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv, err := New(Config{Store: sharedStore, Token: tok})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ctx, Listener{Listener: tls.NewListener(l, tlsCfg)}) }()
	defer func() {
		cancel()
		if err := <-served; err != nil {
			t.Errorf("Serve: %v", err)
		}
	}()

	client := tlsClient(t, filepath.Join(dir, CACertFile))
	base := "https://" + l.Addr().String()
	get := func(path, token string) int {
		req, _ := http.NewRequest("GET", base+path, nil)
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		resp, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		_, _ = io.Copy(io.Discard, resp.Body)
		return resp.StatusCode
	}
	list := "/apis/kubevirt.io/v1/virtualmachines"
	if code := get(list, ""); code != 401 {
		t.Errorf("no token: %d", code)
	}
	if code := get(list, strings.Repeat("0", len(tok))); code != 401 {
		t.Errorf("wrong token: %d", code)
	}
	if code := get(list, tok); code != 200 {
		t.Errorf("right token: %d", code)
	}
	if code := get("/healthz", ""); code != 200 {
		t.Errorf("healthz without a token: %d", code)
	}
}

func tlsClient(t *testing.T, caFile string) *http.Client {
	t.Helper()
	pem, err := os.ReadFile(caFile)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pem) {
		t.Fatal("no CA certificate in " + caFile)
	}
	return &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
}
