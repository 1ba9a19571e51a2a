package apiserver

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"k8s.io/apimachinery/pkg/runtime"

	"vigil.dev/vigil/internal/manifest"
	"vigil.dev/vigil/internal/store"
)

// Defaults of Config.
const (
	// DefaultMaxBodyBytes bounds a request body (3 MiB, as Kubernetes does).
	DefaultMaxBodyBytes = 3 << 20
	// DefaultBookmarkInterval is how often a watch that asked for bookmarks
	// gets one (Kubernetes sends them about once a minute).
	DefaultBookmarkInterval = time.Minute
	// shutdownTimeout bounds the wait for in-flight requests at shutdown;
	// past it connections are closed under the clients.
	shutdownTimeout = 5 * time.Second
	// readHeaderTimeout bounds a client that opens a connection and sends
	// headers slowly.
	readHeaderTimeout = 10 * time.Second
	// idleTimeout closes keep-alive connections nobody uses.
	idleTimeout = 2 * time.Minute
	// bodyReadTimeout bounds reading a request body (at most MaxBodyBytes)
	// from a client that sends it slowly.
	bodyReadTimeout = time.Minute
	// watchWriteTimeout bounds one watch event's write to a client that
	// stopped reading; the stream then ends.
	watchWriteTimeout = 30 * time.Second
	// readyTimeout bounds the store check behind /readyz.
	readyTimeout = 2 * time.Second
)

// Config is what the server needs.
type Config struct {
	// Store holds the objects. Required.
	Store store.Interface
	// Logger receives request lines (Debug) and failures. Nil discards.
	Logger *slog.Logger
	// Now is the clock for timestamps the server sets (VMI phase
	// transitions, deletionTimestamp). Nil means time.Now.
	Now func() time.Time
	// Version is vigil's own version, reported by /version.
	Version string
	// Token is the bearer token required on listeners that are not
	// trusted. Required when such a listener is served.
	Token string
	// MaxBodyBytes bounds request bodies; 0 means DefaultMaxBodyBytes.
	MaxBodyBytes int64
	// BookmarkInterval; 0 means DefaultBookmarkInterval.
	BookmarkInterval time.Duration
	// Decode turns a JSON body into a typed object, strictly (unknown
	// fields are errors). Nil means manifest.DecodeInto.
	Decode func(body []byte, into runtime.Object) error
	// Node reaches the node agent for VMI console, log and guest-exec
	// subresources. Nil answers them with 503.
	Node NodeProxy
	// ServiceSubnet is the IPv4 range Service cluster IPs come from (see
	// service_ip.go); the zero value means DefaultServiceSubnet.
	ServiceSubnet netip.Prefix
	// Metrics is served at /metrics (see NewMetricsRegistry); nil serves
	// the Go runtime's and the process's metrics only.
	Metrics prometheus.Gatherer
	// DebugPprof serves the Go runtime's profiles (net/http/pprof) under
	// /debug/pprof/ on trusted listeners only; off by default.
	DebugPprof bool
}

// Listener is one place the server listens.
type Listener struct {
	net.Listener
	// Trusted listeners (the unix socket, whose file mode is the access
	// control) serve every request; others require the bearer token.
	Trusted bool
}

// Server is the API server.
type Server struct {
	cfg Config
	log *slog.Logger
	// stopping is closed when shutdown begins; watch streams end on it,
	// since a stream never goes idle by itself.
	stopping    context.Context
	stopWatches context.CancelFunc
	// serviceIPs holds the cluster IPs of Service creates in flight.
	serviceIPs serviceIPs
}

// New checks cfg and builds a server.
func New(cfg Config) (*Server, error) {
	if cfg.Store == nil {
		return nil, errors.New("apiserver: config has no store")
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.MaxBodyBytes <= 0 {
		cfg.MaxBodyBytes = DefaultMaxBodyBytes
	}
	if cfg.BookmarkInterval <= 0 {
		cfg.BookmarkInterval = DefaultBookmarkInterval
	}
	if cfg.Decode == nil {
		cfg.Decode = manifest.DecodeInto
	}
	s := &Server{cfg: cfg, log: cfg.Logger}
	s.stopping, s.stopWatches = context.WithCancel(context.Background())
	return s, nil
}

// Handler serves the API. trusted says whether requests are served without
// a bearer token (true for the unix socket).
func (s *Server) Handler(trusted bool) http.Handler {
	var h http.Handler = http.HandlerFunc(s.route)
	if trusted && s.cfg.DebugPprof {
		h = withPprof(h)
	}
	h = s.limitBody(h)
	if !trusted {
		h = s.requireToken(h)
	}
	h = s.recoverPanics(h)
	return s.logRequests(h)
}

// Serve serves the listeners until ctx ends, then shuts down: watch streams
// end at once, other requests get shutdownTimeout to finish. It returns the
// first listener failure, or nil after a clean shutdown.
func (s *Server) Serve(ctx context.Context, listeners ...Listener) error {
	if len(listeners) == 0 {
		return errors.New("apiserver: no listeners")
	}
	for _, l := range listeners {
		if !l.Trusted && s.cfg.Token == "" {
			return fmt.Errorf("apiserver: listener %s needs a token, and none is configured", l.Addr())
		}
	}
	servers := make([]*http.Server, len(listeners))
	errc := make(chan error, len(listeners))
	for i, l := range listeners {
		srv := &http.Server{
			Handler:           s.Handler(l.Trusted),
			ReadHeaderTimeout: readHeaderTimeout,
			IdleTimeout:       idleTimeout,
			ErrorLog:          slog.NewLogLogger(s.log.Handler(), slog.LevelWarn),
		}
		srv.RegisterOnShutdown(func() { s.stopWatches() })
		servers[i] = srv
		go func() {
			s.log.Info("api listening", "addr", l.Addr().String(), "network", l.Addr().Network(), "trusted", l.Trusted)
			if err := srv.Serve(l); err != nil && !errors.Is(err, http.ErrServerClosed) {
				errc <- fmt.Errorf("apiserver: serving %s: %w", l.Addr(), err)
				return
			}
			errc <- nil
		}()
	}
	var first error
	select {
	case <-ctx.Done():
	case first = <-errc:
	}
	s.shutdown(servers)
	return first
}

func (s *Server) shutdown(servers []*http.Server) {
	s.stopWatches()
	ctx, cancel := context.WithTimeout(context.Background(), shutdownTimeout)
	defer cancel()
	for _, srv := range servers {
		if err := srv.Shutdown(ctx); err != nil {
			s.log.Warn("api shutdown: closing connections still busy", "err", err)
			_ = srv.Close()
		}
	}
}

func (s *Server) now() time.Time { return s.cfg.Now() }
