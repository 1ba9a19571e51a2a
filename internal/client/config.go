package client

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"os"
	"strings"
	"time"
)

// DefaultServer is where the daemon listens unless told otherwise.
const DefaultServer = "unix:///run/vigil/vigil.sock"

// Environment variables ConfigFromEnv reads.
const (
	EnvServer = "VIGIL_SERVER"
	EnvToken  = "VIGIL_TOKEN"
	EnvCAFile = "VIGIL_CA_FILE"
)

// Config says how to reach the daemon.
type Config struct {
	// Server is "unix:///path/to/socket" or "https://host:port"; empty means DefaultServer.
	Server string
	// Token is sent as "Authorization: Bearer <token>" when set.
	Token string
	// CAFile and CAData hold PEM certificates trusted for an https server
	// (both may be given; the system pool is used when neither is).
	CAFile string
	CAData []byte
	// InsecureSkipTLSVerify turns off certificate checks (tests, first contact).
	InsecureSkipTLSVerify bool
	// Timeout bounds each request except watches; 0 means no limit.
	Timeout time.Duration
	// UserAgent is sent with every request; empty means "vigil-client".
	UserAgent string
	// WarningHandler receives each warning the server sends (the text of a
	// `Warning: 299 - "..."` header); nil drops them.
	WarningHandler func(string)
}

// ConfigFromEnv reads VIGIL_SERVER, VIGIL_TOKEN and VIGIL_CA_FILE.
func ConfigFromEnv() Config {
	return Config{
		Server: os.Getenv(EnvServer),
		Token:  os.Getenv(EnvToken),
		CAFile: os.Getenv(EnvCAFile),
	}
}

// endpoint is a parsed Config.Server.
type endpoint struct {
	display string // the address as the user gave it, for messages
	base    string // URL prefix requests are built on
	socket  string // unix socket path; "" for https
}

func parseServer(server string) (endpoint, error) {
	if server == "" {
		server = DefaultServer
	}
	u, err := url.Parse(server)
	if err != nil {
		return endpoint{}, fmt.Errorf("server %q: %w", server, err)
	}
	switch u.Scheme {
	case "unix":
		p := u.Path
		if p == "" {
			p = u.Opaque
		}
		if p == "" {
			return endpoint{}, fmt.Errorf("server %q: no socket path", server)
		}
		// The host part is never dialled; it only fills the Host header.
		return endpoint{display: server, base: "http://localhost", socket: p}, nil
	case "https":
		if u.Host == "" {
			return endpoint{}, fmt.Errorf("server %q: no host", server)
		}
		return endpoint{display: server, base: "https://" + u.Host + strings.TrimSuffix(u.Path, "/")}, nil
	default:
		return endpoint{}, fmt.Errorf("server %q: scheme must be unix or https", server)
	}
}

// newTransport builds the HTTP transport for an endpoint.
func newTransport(ep endpoint, cfg Config) (*http.Transport, error) {
	t := &http.Transport{
		Proxy:                 nil, // never route the daemon's traffic through a proxy
		MaxIdleConnsPerHost:   4,
		IdleConnTimeout:       90 * time.Second,
		TLSHandshakeTimeout:   10 * time.Second,
		ExpectContinueTimeout: time.Second,
	}
	if ep.socket != "" {
		var d net.Dialer
		t.DialContext = func(ctx context.Context, _, _ string) (net.Conn, error) {
			return d.DialContext(ctx, "unix", ep.socket)
		}
		return t, nil
	}
	tc, err := tlsConfig(cfg)
	if err != nil {
		return nil, err
	}
	t.TLSClientConfig = tc
	t.ForceAttemptHTTP2 = true
	return t, nil
}

func tlsConfig(cfg Config) (*tls.Config, error) {
	tc := &tls.Config{MinVersion: tls.VersionTLS12, InsecureSkipVerify: cfg.InsecureSkipTLSVerify} //nolint:gosec // the user asked for it
	if cfg.CAFile == "" && len(cfg.CAData) == 0 {
		return tc, nil
	}
	pool := x509.NewCertPool()
	if cfg.CAFile != "" {
		pem, err := os.ReadFile(cfg.CAFile)
		if err != nil {
			return nil, fmt.Errorf("reading certificate authority: %w", err)
		}
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("certificate authority %s: no PEM certificate found", cfg.CAFile)
		}
	}
	if len(cfg.CAData) > 0 && !pool.AppendCertsFromPEM(cfg.CAData) {
		return nil, fmt.Errorf("certificate authority data: no PEM certificate found")
	}
	tc.RootCAs = pool
	return tc, nil
}
