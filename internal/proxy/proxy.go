package proxy

import (
	"context"
	"log/slog"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/utils/clock"

	v1 "vigil.dev/vigil/api/v1"
	"vigil.dev/vigil/internal/controller/endpoints"
	"vigil.dev/vigil/internal/controller/informer"
	"vigil.dev/vigil/internal/resource"
)

// Options configure a Proxy; zero values get defaults.
type Options struct {
	// Config holds the subnets the rules need.
	Config
	// Runner loads the rules (default: a Netlink).
	Runner Runner
	// Logger gets the proxy's logs (default slog.Default()).
	Logger *slog.Logger
	// Clock times retries and measures latency (default: the real clock).
	Clock clock.Clock
	// RetryDelay is the first wait after a failed sync, doubled per
	// failure up to MaxRetryDelay (defaults 1 s and 30 s).
	RetryDelay, MaxRetryDelay time.Duration
	// OnSync, when set, is called after every sync (tests, benchmarks).
	OnSync func(SyncReport)
}

// SyncReport says what one sync did.
type SyncReport struct {
	Result
	// Services is how many Services were recomputed.
	Services int
	// Latency runs from the first change the sync carries (the informer
	// handing over a Service, VMI or Endpoints change) to the rules in
	// the kernel.
	Latency time.Duration
	// Err is the sync's error, if any.
	Err error
}

// Proxy keeps the kernel's rules in line with the Services and the
// readiness of their VMIs. It watches Services, VMIs and Endpoints; a VMI
// change goes straight to the rules (endpoints.Derive on the cached
// VMIs), without waiting for the endpoints controller's write. Endpoints
// objects are read only for Services without a selector.
type Proxy struct {
	opts  Options
	log   *slog.Logger
	dp    *Dataplane
	svcs  *informer.Informer[*corev1.Service]
	vmis  *informer.Informer[*v1.VirtualMachineInstance]
	eps   *informer.Informer[*corev1.Endpoints]
	kick  chan struct{}
	index endpoints.VMIIndex

	mu    sync.Mutex
	dirty map[string]bool // Services to recompute
	since time.Time       // first change not yet synced

	desired State // the sync loop's own
}

// New builds a proxy; Run starts it.
func New(api informer.ListWatcher, opts Options) *Proxy {
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	if opts.Clock == nil {
		opts.Clock = clock.RealClock{}
	}
	if opts.RetryDelay <= 0 {
		opts.RetryDelay = time.Second
	}
	if opts.MaxRetryDelay < opts.RetryDelay {
		opts.MaxRetryDelay = max(30*time.Second, opts.RetryDelay)
	}
	log := opts.Logger.With("component", "service-proxy")
	p := &Proxy{opts: opts, log: log, dp: NewDataplane(opts.Config, opts.Runner, log),
		kick: make(chan struct{}, 1), dirty: map[string]bool{}, desired: State{}}
	iopts := informer.Options{Clock: opts.Clock, Logger: log}
	p.svcs = informer.New(api, resource.Services, iopts, func(s *corev1.Service) { p.mark(informer.Key(s)) })
	p.eps = informer.New(api, resource.Endpoints, iopts, func(e *corev1.Endpoints) { p.mark(informer.Key(e)) })
	p.vmis = informer.New(api, resource.VirtualMachineInstances, iopts, p.vmiChanged)
	return p
}

// vmiChanged marks the Services that select the VMI now or did before:
// its readiness, address or labels may have changed.
func (p *Proxy) vmiChanged(vmi *v1.VirtualMachineInstance) {
	_, present := p.vmis.Cache().Get(informer.Key(vmi))
	for _, key := range p.index.Changed(vmi, !present, p.svcs.Cache().List(vmi.Namespace)) {
		p.mark(key)
	}
}

// mark queues a Service for recomputation and wakes the sync loop.
func (p *Proxy) mark(key string) {
	p.mu.Lock()
	if len(p.dirty) == 0 {
		p.since = p.opts.Clock.Now()
	}
	p.dirty[key] = true
	p.mu.Unlock()
	select {
	case p.kick <- struct{}{}:
	default:
	}
}

// take hands the marked Services to the sync loop.
func (p *Proxy) take() ([]string, time.Time) {
	p.mu.Lock()
	defer p.mu.Unlock()
	keys := make([]string, 0, len(p.dirty))
	for k := range p.dirty {
		keys = append(keys, k)
	}
	clear(p.dirty)
	return keys, p.since
}

// Run lists and watches, then, once the caches are filled, replaces the
// table with the complete wanted state in one transaction (the rules of
// the previous run serve until that moment) and from then on applies each
// change as it comes. It returns nil when ctx ends; the rules stay.
func (p *Proxy) Run(ctx context.Context) error {
	ctx, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	defer func() { cancel(); wg.Wait(); p.dp.Close() }()
	for _, run := range []func(context.Context){p.svcs.Run, p.vmis.Run, p.eps.Run} {
		wg.Go(func() { run(ctx) })
	}
	if !informer.WaitForSync(ctx, p.svcs.Synced(), p.vmis.Synced(), p.eps.Synced()) {
		return nil
	}
	for _, s := range p.svcs.Cache().List("") {
		p.mark(informer.Key(s))
	}
	select { // the first sync replaces the table, even an empty one
	case p.kick <- struct{}{}:
	default:
	}
	p.log.Info("caches filled, programming the services table", "services", p.svcs.Cache().Len(), "vmis", p.vmis.Cache().Len())
	p.loop(ctx)
	return nil
}

// loop syncs whenever something was marked, and retries a failed sync
// with backoff.
func (p *Proxy) loop(ctx context.Context) {
	failures := 0
	var retry <-chan time.Time
	for {
		select {
		case <-ctx.Done():
			return
		case <-p.kick:
		case <-retry:
		}
		retry = nil
		if err := p.sync(ctx); err != nil && ctx.Err() == nil {
			delay := min(p.opts.RetryDelay<<min(failures, 16), p.opts.MaxRetryDelay)
			failures++
			p.log.Error("programming the services table failed, retrying", "err", err, "after", delay)
			retry = p.opts.Clock.After(delay)
			continue
		}
		failures = 0
	}
}

// sync recomputes the marked Services and applies the difference.
func (p *Proxy) sync(ctx context.Context) error {
	keys, since := p.take()
	for _, k := range keys {
		if s := p.compute(k); s != nil {
			p.desired[k] = s
		} else {
			delete(p.desired, k)
		}
	}
	res, err := p.dp.Sync(ctx, p.desired)
	rep := SyncReport{Result: res, Services: len(keys), Err: err}
	if !since.IsZero() {
		rep.Latency = p.opts.Clock.Since(since)
	}
	switch {
	case err != nil:
	case res.Full:
		p.log.Info("services table replaced", "services", len(p.desired), "commands", res.Commands, "latency", rep.Latency)
	case res.Commands > 0:
		p.log.Debug("services table updated", "services", len(keys), "commands", res.Commands, "latency", rep.Latency)
	}
	if p.opts.OnSync != nil {
		p.opts.OnSync(rep)
	}
	return err
}

// compute is the dataplane's view of one Service from the caches; nil
// when it is gone or gets no rules.
func (p *Proxy) compute(key string) *Service {
	svc, ok := p.svcs.Cache().Get(key)
	if !ok {
		return nil
	}
	var eps *corev1.Endpoints
	if len(svc.Spec.Selector) > 0 {
		eps = endpoints.Derive(svc, p.vmis.Cache().List(svc.Namespace))
	} else {
		eps, _ = p.eps.Cache().Get(key)
	}
	return ServiceFrom(svc, eps)
}
