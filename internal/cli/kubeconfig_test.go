package cli

import (
	"bytes"
	"crypto/tls"
	"crypto/x509"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"sigs.k8s.io/yaml"

	"vigil.dev/vigil/internal/apiserver"
)

// runKubeconfig runs `vigil kubeconfig` with args and returns its stdout.
func runKubeconfig(t *testing.T, args ...string) (string, error) {
	t.Helper()
	root := newTestRoot()
	var out, errb bytes.Buffer
	root.SetArgs(append([]string{"kubeconfig"}, args...))
	root.SetOut(&out)
	root.SetErr(&errb)
	err := root.Execute()
	return out.String(), err
}

// daemonDir makes a data dir holding what `vigil serve --listen-tcp` keeps
// there, and a TLS server using its certificate that accepts only its
// token.
func daemonDir(t *testing.T) (string, *httptest.Server) {
	t.Helper()
	dir := t.TempDir()
	token, err := apiserver.LoadOrCreateToken(dir)
	if err != nil {
		t.Fatal(err)
	}
	tlsCfg, err := apiserver.LoadOrCreateServerTLS(dir, []string{"127.0.0.1"}, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer "+token {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		_, _ = w.Write([]byte("ok"))
	}))
	srv.TLS = tlsCfg
	srv.StartTLS()
	t.Cleanup(srv.Close)
	return dir, srv
}

func TestKubeconfigReachesTheDaemon(t *testing.T) {
	dir, srv := daemonDir(t)
	out, err := runKubeconfig(t, "--data-dir", dir, "--server", srv.URL, "-n", "prod")
	if err != nil {
		t.Fatal(err)
	}
	var kc kubeconfig
	if err := yaml.UnmarshalStrict([]byte(out), &kc); err != nil {
		t.Fatalf("%v:\n%s", err, out)
	}
	if kc.Kind != "Config" || kc.APIVersion != "v1" || kc.CurrentContext != "vigil" || len(kc.Contexts) != 1 ||
		kc.Contexts[0].Context.Namespace != "prod" || kc.Contexts[0].Context.Cluster != "vigil" || kc.Clusters[0].Cluster.Server != srv.URL {
		t.Fatalf("kubeconfig:\n%s", out)
	}
	// What kubectl would do with it: trust the CA data, send the token.
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(kc.Clusters[0].Cluster.CertificateAuthorityData) {
		t.Fatal("no certificate in certificate-authority-data")
	}
	client := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
	req, _ := http.NewRequest("GET", kc.Clusters[0].Cluster.Server+"/version", nil)
	req.Header.Set("Authorization", "Bearer "+kc.Users[0].User.Token)
	resp, err := client.Do(req)
	if err != nil {
		t.Fatalf("the kubeconfig's CA does not verify the daemon: %v", err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Errorf("the kubeconfig's token was refused: %d", resp.StatusCode)
	}
}

func TestKubeconfigOverridesAndRefusals(t *testing.T) {
	dir, _ := daemonDir(t)
	out, err := runKubeconfig(t, "--data-dir", dir, "--server", "https://h:1", "--token", "given", "--insecure-skip-tls-verify", "--name", "lab")
	if err != nil {
		t.Fatal(err)
	}
	var kc kubeconfig
	if err := yaml.Unmarshal([]byte(out), &kc); err != nil {
		t.Fatal(err)
	}
	c := kc.Clusters[0].Cluster
	if kc.Users[0].User.Token != "given" || !c.InsecureSkipTLSVerify || len(c.CertificateAuthorityData) != 0 || kc.CurrentContext != "lab" {
		t.Errorf("kubeconfig:\n%s", out)
	}
	cases := []struct {
		args []string
		want string
	}{
		{[]string{"--data-dir", dir}, "kubectl needs the daemon's https address"},
		{[]string{"--data-dir", dir, "--server", "unix:///run/vigil/vigil.sock"}, "kubectl needs the daemon's https address"},
		{[]string{"--data-dir", filepath.Join(dir, "none"), "--server", "https://h:1"}, "token file " + filepath.Join(dir, "none", "token") + " does not exist"},
		{[]string{"--data-dir", dir, "--server", "https://h:1", "--certificate-authority", filepath.Join(dir, "token")}, "no PEM certificate"},
	}
	for _, tc := range cases {
		if _, err := runKubeconfig(t, tc.args...); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%v: error %v, want %q", tc.args, err, tc.want)
		}
	}
	if err := os.Remove(filepath.Join(dir, apiserver.CACertFile)); err != nil {
		t.Fatal(err)
	}
	if _, err := runKubeconfig(t, "--data-dir", dir, "--server", "https://h:1"); err == nil || !strings.Contains(err.Error(), "ca.crt does not exist") {
		t.Errorf("missing CA: %v", err)
	}
}
