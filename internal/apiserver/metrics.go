package apiserver

import (
	"net/http"
	"sync"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
)

// NewMetricsRegistry is the registry behind /metrics: the Go runtime's and
// the process's collectors plus extra (the probe engine's: probe counts by
// kind, type and result, probe durations, lateness, reaction, VMI
// readiness). It fails when two collectors describe the same metric.
func NewMetricsRegistry(extra ...prometheus.Collector) (*prometheus.Registry, error) {
	reg := prometheus.NewRegistry()
	cs := append([]prometheus.Collector{
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
	}, extra...)
	for _, c := range cs {
		if err := reg.Register(c); err != nil {
			return nil, err
		}
	}
	return reg, nil
}

// runtimeMetrics is the registry served when the configuration gives none:
// the Go runtime and the process only.
var runtimeMetrics = sync.OnceValues(func() (prometheus.Gatherer, error) { return NewMetricsRegistry() })

// serveMetrics answers GET /metrics in Prometheus' text format. On TCP it
// needs the bearer token like every API path: probe metrics name the
// namespaces and VMIs of the host.
func (s *Server) serveMetrics(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		s.writeError(w, r, apierrors.NewMethodNotSupported(resourceless, r.Method))
		return
	}
	g := s.cfg.Metrics
	if g == nil {
		var err error
		if g, err = runtimeMetrics(); err != nil {
			s.writeError(w, r, apierrors.NewInternalError(err))
			return
		}
	}
	promhttp.HandlerFor(g, promhttp.HandlerOpts{ErrorLog: metricsErrorLog{s}, ErrorHandling: promhttp.ContinueOnError}).
		ServeHTTP(w, r)
}

// metricsErrorLog logs a collector's failure (the rest is still served).
type metricsErrorLog struct{ s *Server }

func (l metricsErrorLog) Println(v ...any) { l.s.log.Warn("metrics: gathering", "err", v) }
