package daemon

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/netip"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"vigil.dev/vigil/internal/apiserver"
	"vigil.dev/vigil/internal/store"
)

// Defaults of Config.
const (
	DefaultDataDir = "/var/lib/vigil"
	DefaultSocket  = "/run/vigil/vigil.sock"
)

// Shutdown deadlines, in the order the steps run.
const (
	// componentStopTimeout: components stop their loops and workers; a
	// component past it is abandoned (and logged) so the API can still
	// shut down cleanly.
	componentStopTimeout = 15 * time.Second
	// serverStopTimeout covers apiserver's own shutdown deadline plus
	// margin.
	serverStopTimeout = 10 * time.Second
)

// Component is a background part of the daemon (the VM controller, the node
// agent) that talks to the API through the unix socket. Run blocks until
// ctx ends; it returns nil then. An error return means the component gave
// up: it is logged, and the daemon goes on serving.
type Component interface {
	Name() string
	Run(ctx context.Context, socket string) error
}

// Config is the daemon's configuration (the flags of `vigil serve`).
type Config struct {
	// DataDir holds the lock, the embedded etcd and the TCP credentials.
	DataDir string
	// Socket is the unix socket the API is served on.
	Socket string
	// ListenTCP, when set (host:port), also serves the API over HTTPS with
	// a bearer token.
	ListenTCP string
	// EtcdEndpoints point at an existing etcd; empty runs an embedded one.
	EtcdEndpoints []string
	// NodeName is this host's name as VMIs record it; default the hostname.
	NodeName string
	// LogLevel is used when Logger is nil: debug, info, warn or error.
	LogLevel string
	// Logger receives everything; nil makes a text logger on stderr.
	Logger *slog.Logger
	// Version is vigil's version for /version; empty means BuildVersion().
	Version string
	// Components run once the API serves.
	Components []Component
	// ServiceSubnet is the range Service cluster IPs come from (zero:
	// apiserver.DefaultServiceSubnet).
	ServiceSubnet netip.Prefix
	// NodeProxy reaches the node agent for the VMI console, log and
	// guest-exec subresources; nil answers them with 503.
	NodeProxy apiserver.NodeProxy
	// Metrics are served at /metrics besides the Go runtime's and the
	// process's (the node agent's probe metrics).
	Metrics []prometheus.Collector
	// DebugPprof serves net/http/pprof under /debug/pprof/ on the unix
	// socket (never on TCP), for profiling the daemon.
	DebugPprof bool
}

func (c Config) withDefaults() (Config, error) {
	if c.DataDir == "" {
		c.DataDir = DefaultDataDir
	}
	if c.Socket == "" {
		c.Socket = DefaultSocket
	}
	if c.NodeName == "" {
		host, err := os.Hostname()
		if err != nil {
			return c, fmt.Errorf("node name: no --node-name and no hostname: %w", err)
		}
		c.NodeName = host
	}
	if c.Logger == nil {
		l, err := NewLogger(os.Stderr, c.LogLevel, "text")
		if err != nil {
			return c, err
		}
		c.Logger = l
	}
	if c.Version == "" {
		c.Version = BuildVersion()
	}
	var err error
	if c.DataDir, err = filepath.Abs(c.DataDir); err != nil {
		return c, fmt.Errorf("data dir %q: %w", c.DataDir, err)
	}
	if c.Socket, err = filepath.Abs(c.Socket); err != nil {
		return c, fmt.Errorf("socket %q: %w", c.Socket, err)
	}
	return c, nil
}

// Run runs the daemon until ctx ends, then shuts it down: components
// first (they use the API), then the API server, then the store; the
// socket file and the lock go last. It returns an error when the daemon
// could not start or its API listener failed.
func Run(ctx context.Context, cfg Config) (err error) {
	cfg, err = cfg.withDefaults()
	if err != nil {
		return err
	}
	log := cfg.Logger
	if err := os.MkdirAll(cfg.DataDir, 0o700); err != nil {
		return fmt.Errorf("data dir %s: %w", cfg.DataDir, err)
	}
	lock, err := lockDataDir(cfg.DataDir)
	if err != nil {
		return err
	}
	defer lock.release()
	// Refuse early when another daemon serves the socket, before the
	// store is opened (which can take a while).
	if err := claimSocket(cfg.Socket, log); err != nil {
		return err
	}
	st, err := store.Open(ctx, store.Config{DataDir: cfg.DataDir, Endpoints: cfg.EtcdEndpoints, Logger: log})
	if err != nil {
		return fmt.Errorf("opening the store: %w", err)
	}
	defer func() {
		if cerr := st.Close(); cerr != nil {
			log.Error("closing the store", "err", cerr)
		}
	}()
	listeners, err := listen(cfg)
	if err != nil {
		return err
	}
	reg, err := apiserver.NewMetricsRegistry(cfg.Metrics...)
	if err != nil {
		listeners.close()
		return fmt.Errorf("metrics: %w", err)
	}
	srv, err := apiserver.New(apiserver.Config{Store: st, Logger: log, Version: cfg.Version, Token: listeners.token,
		Node: cfg.NodeProxy, Metrics: reg, ServiceSubnet: cfg.ServiceSubnet, DebugPprof: cfg.DebugPprof})
	if err != nil {
		listeners.close()
		return err
	}
	log.Info("vigil daemon starting", "version", cfg.Version, "dataDir", cfg.DataDir, "socket", cfg.Socket,
		"tcp", cfg.ListenTCP, "node", cfg.NodeName, "etcd", cfg.EtcdEndpoints)
	return serve(ctx, cfg, srv, listeners)
}

// serve runs the API and the components and shuts them down in order.
func serve(ctx context.Context, cfg Config, srv *apiserver.Server, ls *listenerSet) error {
	log := cfg.Logger
	serveCtx, stopServing := context.WithCancel(context.WithoutCancel(ctx))
	defer stopServing()
	served := make(chan error, 1)
	go func() { served <- srv.Serve(serveCtx, ls.all...) }()

	compCtx, stopComponents := context.WithCancel(ctx)
	defer stopComponents()
	var wg sync.WaitGroup
	for _, c := range cfg.Components {
		wg.Add(1)
		go func() {
			defer wg.Done()
			runComponent(compCtx, log, c, cfg.Socket)
		}()
	}
	log.Info("vigil daemon ready", "socket", cfg.Socket, "components", len(cfg.Components))

	var serveErr error
	select {
	case <-ctx.Done():
		log.Info("vigil daemon shutting down")
	case serveErr = <-served:
		log.Error("the API server stopped; shutting down", "err", serveErr)
	}
	stopComponents()
	if !waitTimeout(&wg, componentStopTimeout) {
		log.Error("components did not stop in time; going on with the shutdown", "timeout", componentStopTimeout)
	}
	stopServing()
	if serveErr == nil {
		select {
		case serveErr = <-served:
		case <-time.After(serverStopTimeout):
			log.Error("the API server did not stop in time", "timeout", serverStopTimeout)
		}
	}
	return serveErr
}

// runComponent runs one component, logging its end. A panic is caught and
// logged like an error: one broken component must not take down the API.
func runComponent(ctx context.Context, log *slog.Logger, c Component, socket string) {
	defer func() {
		if v := recover(); v != nil {
			log.Error("PANIC in daemon component; it is stopped, the API goes on", "component", c.Name(), "panic", fmt.Sprint(v))
		}
	}()
	log.Info("component starting", "component", c.Name())
	err := c.Run(ctx, socket)
	switch {
	case err != nil && !errors.Is(err, context.Canceled):
		log.Error("component failed; the API goes on without it", "component", c.Name(), "err", err)
	case ctx.Err() == nil:
		log.Warn("component returned before shutdown", "component", c.Name())
	default:
		log.Info("component stopped", "component", c.Name())
	}
}

// waitTimeout waits for wg, at most d; it reports whether wg finished.
func waitTimeout(wg *sync.WaitGroup, d time.Duration) bool {
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	select {
	case <-done:
		return true
	case <-time.After(d):
		return false
	}
}
