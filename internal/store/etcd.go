package store

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"sync/atomic"
	"syscall"
	"time"

	"go.etcd.io/etcd/server/v3/embed"
	"go.uber.org/zap"
)

// maxSocketPath is the longest unix socket path the kernel takes
// (sun_path is 108 bytes with the terminating NUL).
const maxSocketPath = 107

// tcpAttempts is how often start-up picks new loopback ports when another
// process took the ones it picked in the meantime.
const tcpAttempts = 3

// embedded is a running single-member etcd owned by this store.
type embedded struct {
	etcd      *embed.Etcd
	clientURL string
	quiet     *atomic.Bool
	log       *slog.Logger
}

// listenURLs are where an embedded etcd serves clients and its (unused,
// single-member) peer port.
type listenURLs struct {
	client, peer url.URL
	// advertisePeer is peer in the form etcd's initial-cluster string can
	// parse back (a unix path goes in Path there, in Host for the listener).
	advertisePeer url.URL
	tcp           bool
}

// startEmbedded starts etcd in <DataDir>/etcd and waits until it serves.
func startEmbedded(ctx context.Context, cfg Config, zl *zap.Logger, quiet *atomic.Bool) (*embedded, error) {
	dir := filepath.Join(cfg.DataDir, "etcd")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("embedded etcd: create data dir: %w", err)
	}
	urls, err := unixURLs(dir)
	for attempt := 1; ; attempt++ {
		if err != nil {
			return nil, err
		}
		e, startErr := startOnce(ctx, cfg, dir, urls, zl)
		if startErr == nil {
			cfg.Logger.Info("embedded etcd ready", "dir", dir, "client", urls.client.String())
			return &embedded{etcd: e, clientURL: urls.client.String(), quiet: quiet, log: cfg.Logger}, nil
		}
		if !urls.tcp || attempt >= tcpAttempts || !errors.Is(startErr, syscall.EADDRINUSE) {
			return nil, startErr
		}
		cfg.Logger.Warn("embedded etcd: loopback port taken, picking others", "err", startErr)
		urls, err = loopbackURLs()
	}
}

// unixURLs puts both sockets in dir, falling back to loopback TCP when dir
// is too deep for a socket path.
func unixURLs(dir string) (listenURLs, error) {
	client := filepath.Join(dir, "client.sock")
	peer := filepath.Join(dir, "peer.sock")
	if len(client) > maxSocketPath || len(peer) > maxSocketPath {
		return loopbackURLs()
	}
	return listenURLs{
		client:        url.URL{Scheme: "unix", Path: client},
		peer:          url.URL{Scheme: "unix", Host: peer},
		advertisePeer: url.URL{Scheme: "unix", Path: peer},
	}, nil
}

// loopbackURLs picks two free ports on 127.0.0.1 (etcd cannot listen on
// port 0 and report the port back).
func loopbackURLs() (listenURLs, error) {
	ports, err := freePorts(2)
	if err != nil {
		return listenURLs{}, fmt.Errorf("embedded etcd: pick loopback ports: %w", err)
	}
	host := func(p int) string { return net.JoinHostPort("127.0.0.1", strconv.Itoa(p)) }
	peer := url.URL{Scheme: "http", Host: host(ports[1])}
	return listenURLs{
		client:        url.URL{Scheme: "http", Host: host(ports[0])},
		peer:          peer,
		advertisePeer: peer,
		tcp:           true,
	}, nil
}

// freePorts asks the kernel for n distinct free loopback ports.
func freePorts(n int) ([]int, error) {
	ports := make([]int, 0, n)
	for range n {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, err
		}
		defer l.Close()
		ports = append(ports, l.Addr().(*net.TCPAddr).Port)
	}
	return ports, nil
}

// startOnce starts etcd with urls and waits for it to be ready, or for ctx
// to end.
func startOnce(ctx context.Context, cfg Config, dir string, urls listenURLs, zl *zap.Logger) (*embed.Etcd, error) {
	ec := etcdConfig(cfg, dir, urls, zl)
	e, err := embed.StartEtcd(ec)
	if err != nil {
		return nil, fmt.Errorf("embedded etcd in %s: start: %w", dir, err)
	}
	timer := time.NewTimer(readyTimeout)
	defer timer.Stop()
	select {
	case <-e.Server.ReadyNotify():
		return e, nil
	case err := <-e.Err():
		e.Close()
		return nil, fmt.Errorf("embedded etcd in %s: failed while starting: %w", dir, err)
	case <-timer.C:
		e.Close()
		return nil, fmt.Errorf("embedded etcd in %s: not ready within %v", dir, readyTimeout)
	case <-ctx.Done():
		e.Close()
		return nil, fmt.Errorf("embedded etcd in %s: start abandoned: %w", dir, ctx.Err())
	}
}

// etcdConfig is the embedded member's configuration: local listeners only,
// quiet logs, revision-based auto-compaction. fsync stays on (etcd's
// default; UnsafeNoFsync is never set): an acknowledged write is on disk.
func etcdConfig(cfg Config, dir string, urls listenURLs, zl *zap.Logger) *embed.Config {
	ec := embed.NewConfig()
	ec.Name = "vigil"
	ec.Dir = dir
	ec.ListenClientUrls = []url.URL{urls.client}
	ec.AdvertiseClientUrls = []url.URL{urls.client}
	ec.ListenPeerUrls = []url.URL{urls.peer}
	ec.AdvertisePeerUrls = []url.URL{urls.advertisePeer}
	ec.InitialCluster = ec.InitialClusterFromName(ec.Name)
	ec.InitialClusterToken = "vigil"
	ec.EnableGRPCGateway = false
	ec.UnsafeNoFsync = false
	ec.LogLevel = "warn"
	ec.ZapLoggerBuilder = embed.NewZapLoggerBuilder(zl)
	if cfg.CompactionRetention > 0 {
		ec.AutoCompactionMode = embed.CompactorModeRevision
		ec.AutoCompactionRetention = strconv.FormatInt(cfg.CompactionRetention, 10)
	}
	return ec
}

// stop closes the server, giving up waiting after stopTimeout.
func (e *embedded) stop() error {
	e.quiet.Store(true)
	done := make(chan struct{})
	go func() {
		e.etcd.Close()
		close(done)
	}()
	timer := time.NewTimer(stopTimeout)
	defer timer.Stop()
	select {
	case <-done:
		return nil
	case <-timer.C:
		e.log.Error("embedded etcd did not stop in time", "timeout", stopTimeout)
		return fmt.Errorf("embedded etcd: not stopped within %v", stopTimeout)
	}
}
