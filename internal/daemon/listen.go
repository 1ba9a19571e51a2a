package daemon

import (
	"crypto/tls"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"slices"
	"time"

	"vigil.dev/vigil/internal/apiserver"
)

// socketProbeTimeout bounds the check for a daemon already answering on the
// socket path.
const socketProbeTimeout = time.Second

// listenerSet is what the API server serves, and the token the untrusted
// listeners require.
type listenerSet struct {
	all   []apiserver.Listener
	token string
}

func (ls *listenerSet) close() {
	for _, l := range ls.all {
		_ = l.Close()
	}
}

// claimSocket makes the socket path usable: its directory exists (made
// 0700 when missing), and a socket file left by a daemon that died is
// removed. A live daemon answering on it, or a file that is not a socket,
// is an error.
func claimSocket(path string, log *slog.Logger) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return fmt.Errorf("socket directory %s: %w", filepath.Dir(path), err)
	}
	fi, err := os.Lstat(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("socket %s: %w", path, err)
	}
	if fi.Mode()&fs.ModeSocket == 0 {
		return fmt.Errorf("socket %s: the path exists and is not a socket; refusing to replace it", path)
	}
	conn, err := net.DialTimeout("unix", path, socketProbeTimeout)
	if err == nil {
		_ = conn.Close()
		return fmt.Errorf("socket %s: another vigil daemon is serving on it", path)
	}
	log.Info("removing a stale socket: nothing answers on it", "socket", path, "dialErr", err)
	if err := os.Remove(path); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("removing the stale socket %s: %w", path, err)
	}
	return nil
}

// listen opens the unix socket (mode 0600: the file mode is the access
// control, so every request on it is trusted) and, when configured, the
// TCP listener with TLS, whose credentials live in the data dir.
func listen(cfg Config) (*listenerSet, error) {
	ul, err := net.Listen("unix", cfg.Socket)
	if err != nil {
		return nil, fmt.Errorf("listening on %s: %w", cfg.Socket, err)
	}
	ls := &listenerSet{all: []apiserver.Listener{{Listener: ul, Trusted: true}}}
	if err := os.Chmod(cfg.Socket, 0o600); err != nil {
		ls.close()
		return nil, fmt.Errorf("socket %s: %w", cfg.Socket, err)
	}
	if cfg.ListenTCP == "" {
		return ls, nil
	}
	tl, token, err := listenTCP(cfg)
	if err != nil {
		ls.close()
		return nil, err
	}
	ls.all = append(ls.all, apiserver.Listener{Listener: tl, Trusted: false})
	ls.token = token
	return ls, nil
}

// listenTCP opens the HTTPS listener: a certificate for the listen address
// and the usual local names, signed by the data dir's CA, and the token.
func listenTCP(cfg Config) (net.Listener, string, error) {
	host, _, err := net.SplitHostPort(cfg.ListenTCP)
	if err != nil {
		return nil, "", fmt.Errorf("--listen-tcp %q: %w", cfg.ListenTCP, err)
	}
	token, err := apiserver.LoadOrCreateToken(cfg.DataDir)
	if err != nil {
		return nil, "", err
	}
	tlsCfg, err := apiserver.LoadOrCreateServerTLS(cfg.DataDir, certHosts(host, cfg.NodeName), time.Now())
	if err != nil {
		return nil, "", fmt.Errorf("TLS credentials in %s: %w", cfg.DataDir, err)
	}
	l, err := net.Listen("tcp", cfg.ListenTCP)
	if err != nil {
		return nil, "", fmt.Errorf("listening on %s: %w", cfg.ListenTCP, err)
	}
	return tls.NewListener(l, tlsCfg), token, nil
}

// certHosts are the names the server certificate carries: loopback, the
// host's names, and the listen address when it is a specific IP.
func certHosts(listenHost, nodeName string) []string {
	hosts := []string{"127.0.0.1", "::1", "localhost"}
	if h, err := os.Hostname(); err == nil && h != "" {
		hosts = append(hosts, h)
	}
	if nodeName != "" {
		hosts = append(hosts, nodeName)
	}
	if ip := net.ParseIP(listenHost); ip != nil && !ip.IsUnspecified() {
		hosts = append(hosts, ip.String())
	} else if ip == nil && listenHost != "" {
		hosts = append(hosts, listenHost)
	}
	seen := map[string]bool{}
	return slices.DeleteFunc(hosts, func(h string) bool {
		dup := seen[h]
		seen[h] = true
		return dup
	})
}
