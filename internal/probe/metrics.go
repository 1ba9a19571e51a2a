package probe

import (
	"github.com/prometheus/client_golang/prometheus"

	"vigil.dev/vigil/internal/probe/prober"
)

// Metrics are the engine's Prometheus collectors. Register them with
// Collectors; one Metrics belongs to one Manager.
type Metrics struct {
	probes   *prometheus.CounterVec
	duration *prometheus.HistogramVec
	lateness prometheus.Histogram
	reaction *prometheus.HistogramVec
	ready    *prometheus.GaugeVec
}

// NewMetrics makes the collectors (unregistered).
func NewMetrics() *Metrics {
	return &Metrics{
		probes: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "vigil_probe_total",
			Help: "Probes run, by kind (readiness, liveness), type (http, tcp, ping, exec) and result (success, warning, failure, unknown).",
		}, []string{"kind", "type", "result"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "vigil_probe_duration_seconds",
			Help:    "Time one probe took, by kind and type.",
			Buckets: prometheus.ExponentialBuckets(0.0005, 2, 16), // 0.5 ms .. 16 s
		}, []string{"kind", "type"}),
		lateness: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "vigil_probe_lateness_seconds",
			Help:    "Actual start of a probe minus its scheduled start.",
			Buckets: prometheus.ExponentialBuckets(0.0001, 2, 15), // 0.1 ms .. 1.6 s
		}),
		reaction: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "vigil_probe_reaction_seconds",
			Help:    "Time from the end of a probe that changed a published result to the return of its effect (set_ready, liveness_failed).",
			Buckets: prometheus.ExponentialBuckets(0.00001, 2, 16), // 10 µs .. 0.3 s
		}, []string{"effect"}),
		ready: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "vigil_vmi_ready",
			Help: "1 while the readiness probe of a VMI publishes Success, else 0; only VMIs with a readiness probe.",
		}, []string{"namespace", "name"}),
	}
}

// Collectors lists the collectors to register (the API server's /metrics).
func (m *Metrics) Collectors() []prometheus.Collector {
	return []prometheus.Collector{m.probes, m.duration, m.lateness, m.reaction, m.ready}
}

// workerMetrics are one worker's series, looked up once so that a probe
// costs no label hashing.
type workerMetrics struct {
	results  [4]prometheus.Counter // indexed by prober.Result
	duration prometheus.Observer
}

func (m *Metrics) forWorker(k Kind, t Type) workerMetrics {
	var wm workerMetrics
	for _, r := range []prober.Result{prober.Unknown, prober.Success, prober.Warning, prober.Failure} {
		wm.results[r] = m.probes.WithLabelValues(k.label(), string(t), resultLabel(r))
	}
	wm.duration = m.duration.WithLabelValues(k.label(), string(t))
	return wm
}

func (wm *workerMetrics) count(r prober.Result) {
	if r >= 0 && int(r) < len(wm.results) {
		wm.results[r].Inc()
	}
}

func resultLabel(r prober.Result) string {
	switch r {
	case prober.Success:
		return "success"
	case prober.Warning:
		return "warning"
	case prober.Failure:
		return "failure"
	default:
		return "unknown"
	}
}

func (m *Metrics) setReady(namespace, name string, ready bool) {
	v := 0.0
	if ready {
		v = 1
	}
	m.ready.WithLabelValues(namespace, name).Set(v)
}

func (m *Metrics) forgetVMI(namespace, name string) {
	m.ready.DeleteLabelValues(namespace, name)
}
