package cli

import (
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"
	"sigs.k8s.io/yaml"

	"vigil.dev/vigil/internal/apiserver"
	"vigil.dev/vigil/internal/daemon"
)

// kubeconfigOptions are the flags of `vigil kubeconfig`; the server, token,
// CA file, TLS check and namespace come from the persistent client flags.
type kubeconfigOptions struct {
	dataDir string
	name    string
}

func newKubeconfigCommand(e *env) *cobra.Command {
	o := &kubeconfigOptions{}
	cmd := &cobra.Command{
		Use:   "kubeconfig --server https://HOST:PORT [--data-dir DIR]",
		Short: "Print a kubeconfig with which kubectl reaches this daemon",
		Long: `Print a kubeconfig for kubectl (or any client-go program) that reaches
the daemon's HTTPS listener (vigil serve --listen-tcp): the server address
given with --server, the daemon's CA certificate and its bearer token, both
read from the daemon's data directory (or taken from --certificate-authority
and --token). kubectl cannot use the unix socket, so --server must be the
https address.

  vigil kubeconfig --server https://127.0.0.1:6443 > ~/.kube/vigil
  KUBECONFIG=~/.kube/vigil kubectl get vm`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			out, err := o.build(e)
			if err != nil {
				return err
			}
			_, err = cmd.OutOrStdout().Write(out)
			return err
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.dataDir, "data-dir", daemon.DefaultDataDir, "the daemon's data directory, where its token and CA certificate are")
	f.StringVar(&o.name, "name", "vigil", "name of the cluster, user and context in the kubeconfig")
	return cmd
}

// kubeconfig is the subset of client-go's clientcmd v1.Config vigil writes.
type kubeconfig struct {
	APIVersion     string         `json:"apiVersion"`
	Kind           string         `json:"kind"`
	Clusters       []namedCluster `json:"clusters"`
	Users          []namedUser    `json:"users"`
	Contexts       []namedContext `json:"contexts"`
	CurrentContext string         `json:"current-context"`
	Preferences    struct{}       `json:"preferences"`
}

type namedCluster struct {
	Name    string `json:"name"`
	Cluster struct {
		Server                   string `json:"server"`
		CertificateAuthorityData []byte `json:"certificate-authority-data,omitempty"`
		InsecureSkipTLSVerify    bool   `json:"insecure-skip-tls-verify,omitempty"`
	} `json:"cluster"`
}

type namedUser struct {
	Name string `json:"name"`
	User struct {
		Token string `json:"token"`
	} `json:"user"`
}

type namedContext struct {
	Name    string `json:"name"`
	Context struct {
		Cluster   string `json:"cluster"`
		User      string `json:"user"`
		Namespace string `json:"namespace,omitempty"`
	} `json:"context"`
}

// build assembles the kubeconfig as YAML.
func (o *kubeconfigOptions) build(e *env) ([]byte, error) {
	server, err := httpsServer(e.server)
	if err != nil {
		return nil, err
	}
	token, err := o.token(e)
	if err != nil {
		return nil, err
	}
	var ca []byte
	if !e.insecure {
		if ca, err = o.caData(e); err != nil {
			return nil, err
		}
	}
	kc := kubeconfig{APIVersion: "v1", Kind: "Config", CurrentContext: o.name}
	c := namedCluster{Name: o.name}
	c.Cluster.Server, c.Cluster.CertificateAuthorityData, c.Cluster.InsecureSkipTLSVerify = server, ca, e.insecure
	u := namedUser{Name: o.name}
	u.User.Token = token
	x := namedContext{Name: o.name}
	x.Context.Cluster, x.Context.User, x.Context.Namespace = o.name, o.name, e.namespace
	kc.Clusters, kc.Users, kc.Contexts = []namedCluster{c}, []namedUser{u}, []namedContext{x}
	return yaml.Marshal(kc)
}

// httpsServer checks that the server is an https URL: kubectl speaks
// neither the unix socket nor, to this daemon, plain HTTP.
func httpsServer(server string) (string, error) {
	u, err := url.Parse(server)
	if err != nil || u.Scheme != "https" || u.Host == "" {
		return "", fmt.Errorf("--server %q: kubectl needs the daemon's https address (vigil serve --listen-tcp), e.g. https://127.0.0.1:6443", server)
	}
	return strings.TrimSuffix(server, "/"), nil
}

// token is --token when given, else the daemon's token file.
func (o *kubeconfigOptions) token(e *env) (string, error) {
	if e.token != "" {
		return e.token, nil
	}
	path := filepath.Join(o.dataDir, apiserver.TokenFile)
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return "", fmt.Errorf("token file %s does not exist: start the daemon with --listen-tcp once (it makes the token), or give --token", path)
	}
	if err != nil {
		return "", fmt.Errorf("reading the token: %w", err)
	}
	tok := strings.TrimSpace(string(b))
	if tok == "" {
		return "", fmt.Errorf("token file %s is empty", path)
	}
	return tok, nil
}

// caData is the PEM of --certificate-authority when given, else of the
// daemon's CA certificate.
func (o *kubeconfigOptions) caData(e *env) ([]byte, error) {
	path := e.caFile
	if path == "" {
		path = filepath.Join(o.dataDir, apiserver.CACertFile)
	}
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) && e.caFile == "" {
		return nil, fmt.Errorf("CA certificate %s does not exist: start the daemon with --listen-tcp once (it makes the CA), or give --certificate-authority", path)
	}
	if err != nil {
		return nil, fmt.Errorf("reading the CA certificate: %w", err)
	}
	if !strings.Contains(string(b), "-----BEGIN CERTIFICATE-----") {
		return nil, fmt.Errorf("CA certificate %s: no PEM certificate in it", path)
	}
	return b, nil
}
