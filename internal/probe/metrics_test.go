package probe

import (
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
)

// sampleCount is the number of observations of a histogram (vector) with
// the given label values.
func sampleCount(t *testing.T, c prometheus.Collector) uint64 {
	t.Helper()
	ch := make(chan prometheus.Metric, 16)
	c.Collect(ch)
	close(ch)
	var n uint64
	for m := range ch {
		var pb dto.Metric
		if err := m.Write(&pb); err != nil {
			t.Fatal(err)
		}
		n += pb.GetHistogram().GetSampleCount()
	}
	return n
}

// value is the value of a counter or gauge.
func value(t *testing.T, m prometheus.Metric) float64 {
	t.Helper()
	var pb dto.Metric
	if err := m.Write(&pb); err != nil {
		t.Fatal(err)
	}
	if pb.Counter != nil {
		return pb.GetCounter().GetValue()
	}
	return pb.GetGauge().GetValue()
}

// count is the number of series a collector has.
func count(c prometheus.Collector) int {
	ch := make(chan prometheus.Metric, 64)
	c.Collect(ch)
	close(ch)
	n := 0
	for range ch {
		n++
	}
	return n
}

func TestMetrics(t *testing.T) {
	metrics := NewMetrics()
	var mu sync.Mutex
	var traces []Trace
	h := newHarness(t, func(o *Options) {
		o.Metrics = metrics
		o.Trace = func(tr Trace) { mu.Lock(); traces = append(traces, tr); mu.Unlock() }
	})
	reg := prometheus.NewPedanticRegistry()
	for _, c := range h.m.Collectors() {
		if err := reg.Register(c); err != nil {
			t.Fatalf("register: %v", err)
		}
	}
	h.script("a", Readiness, S, F)
	h.script("a", Liveness, U, S)
	h.m.AddVMI(vmi("a", "one", httpProbe(0, 10, 1, 1), pingProbe(10, 3)), Target{IP: "10.0.0.2"}, t0, nil, false)
	h.settle()
	if v := value(t, metrics.ready.WithLabelValues("default", "one")); v != 1 {
		t.Fatalf("vigil_vmi_ready %v after a success, want 1", v)
	}
	h.advance(10 * sec)
	for _, tc := range []struct {
		kind, typ, result string
		want              float64
	}{
		{"readiness", "http", "success", 1},
		{"readiness", "http", "failure", 1},
		{"liveness", "ping", "unknown", 1},
		{"liveness", "ping", "success", 2},
	} {
		if v := value(t, metrics.probes.WithLabelValues(tc.kind, tc.typ, tc.result)); v != tc.want {
			t.Errorf("vigil_probe_total{%s,%s,%s} = %v, want %v", tc.kind, tc.typ, tc.result, v, tc.want)
		}
	}
	if v := value(t, metrics.ready.WithLabelValues("default", "one")); v != 0 {
		t.Fatalf("vigil_vmi_ready %v after a failure, want 0", v)
	}
	if n := sampleCount(t, metrics.lateness); n != 5 {
		t.Errorf("lateness samples %d, want one per probe (5)", n)
	}
	if n := sampleCount(t, metrics.duration); n != 5 {
		t.Errorf("duration samples %d, want 5", n)
	}
	if n := sampleCount(t, metrics.reaction); n != 2 {
		t.Errorf("reaction samples %d, want one per published change (2)", n)
	}
	mu.Lock()
	published := 0
	for _, tr := range traces {
		if tr.UID != "a" || tr.Started.Before(tr.Scheduled) || tr.Ended.Before(tr.Started) {
			t.Errorf("trace %+v", tr)
		}
		if tr.Published {
			published++
		}
	}
	if len(traces) != 5 || published != 2 {
		t.Errorf("%d traces with %d published, want 5 and 2", len(traces), published)
	}
	mu.Unlock()
	h.m.RemoveVMI("a")
	if n := count(metrics.ready); n != 0 {
		t.Fatalf("vigil_vmi_ready still has %d series after RemoveVMI", n)
	}
	if _, err := reg.Gather(); err != nil {
		t.Fatalf("gather: %v", err)
	}
}

func TestMetricsLatenessIsMeasured(t *testing.T) {
	metrics := NewMetrics()
	h := newHarness(t, func(o *Options) { o.Metrics = metrics })
	h.script("a", Readiness, S)
	h.m.AddVMI(vmi("a", "one", httpProbe(0, 10, 1, 1), nil), Target{IP: "10.0.0.2"}, t0, nil, false)
	h.settle()
	h.advance(10*sec + 300*time.Millisecond) // the dispatcher "woke" 300 ms late
	ch := make(chan prometheus.Metric, 1)
	metrics.lateness.Collect(ch)
	var pb dto.Metric
	if err := (<-ch).Write(&pb); err != nil {
		t.Fatal(err)
	}
	if sum := pb.GetHistogram().GetSampleSum(); sum < 0.299 || sum > 0.301 {
		t.Fatalf("lateness sum %v s, want 0.3", sum)
	}
}
