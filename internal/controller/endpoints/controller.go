package endpoints

import (
	"context"
	"log/slog"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/utils/clock"

	v1 "vigil.dev/vigil/api/v1"
	"vigil.dev/vigil/internal/client"
	"vigil.dev/vigil/internal/controller/informer"
	"vigil.dev/vigil/internal/resource"
)

// API is what the controller needs of the API server; *client.Client
// satisfies it. Errors are Kubernetes API errors.
type API interface {
	informer.ListWatcher
	// Create stores obj; obj is replaced by the server's answer.
	Create(ctx context.Context, r *resource.Info, obj runtime.Object) error
	// Update replaces obj; obj is replaced by the server's answer.
	Update(ctx context.Context, r *resource.Info, obj runtime.Object) error
	Delete(ctx context.Context, r *resource.Info, ns, name string, opts metav1.DeleteOptions) error
}

var _ API = (*client.Client)(nil)

// Options configure a Controller; zero values get defaults.
type Options struct {
	// Clock times retries (default: the real clock).
	Clock clock.WithDelayedExecution
	// Logger gets the controller's logs (default slog.Default()).
	Logger *slog.Logger
	// Workers is how many Services are reconciled at once (default 2).
	Workers int
	// RetryDelay is the first wait after a failed list, watch or write;
	// retries of one Service double it up to MaxRetryDelay. Default 1 s.
	RetryDelay time.Duration
	// MaxRetryDelay caps the retry backoff of one Service (default 1 min).
	MaxRetryDelay time.Duration
}

func (o Options) withDefaults() Options {
	if o.Clock == nil {
		o.Clock = clock.RealClock{}
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	if o.Workers < 1 {
		o.Workers = 2
	}
	if o.RetryDelay <= 0 {
		o.RetryDelay = time.Second
	}
	if o.MaxRetryDelay < o.RetryDelay {
		o.MaxRetryDelay = max(time.Minute, o.RetryDelay)
	}
	return o
}

// Controller keeps one Endpoints object per Service with a selector,
// named like the Service, equal to Derive of the Service and the VMIs of
// its namespace; it deletes the Endpoints it wrote when their Service goes.
type Controller struct {
	api   API
	opts  Options
	log   *slog.Logger
	svcs  *informer.Informer[*corev1.Service]
	vmis  *informer.Informer[*v1.VirtualMachineInstance]
	eps   *informer.Informer[*corev1.Endpoints]
	queue *informer.Queue
	index VMIIndex

	// retries counts consecutive failures per key for the retry backoff.
	retries *informer.Retries[string]
}

// New builds a controller; Run starts it.
func New(api API, opts Options) *Controller {
	opts = opts.withDefaults()
	c := &Controller{api: api, opts: opts, log: opts.Logger.With("controller", "endpoints"),
		queue:   informer.NewQueue(opts.Clock),
		retries: &informer.Retries[string]{Base: opts.RetryDelay, Max: opts.MaxRetryDelay}}
	iopts := informer.Options{Clock: opts.Clock, Retry: opts.RetryDelay, Logger: c.log}
	c.svcs = informer.New(api, resource.Services, iopts, func(s *corev1.Service) { c.queue.Add(informer.Key(s)) })
	c.eps = informer.New(api, resource.Endpoints, iopts, func(e *corev1.Endpoints) { c.queue.Add(informer.Key(e)) })
	c.vmis = informer.New(api, resource.VirtualMachineInstances, iopts, c.vmiChanged)
	return c
}

// vmiChanged queues the Services that select the VMI now or did before
// (its labels may have changed).
func (c *Controller) vmiChanged(vmi *v1.VirtualMachineInstance) {
	_, present := c.vmis.Cache().Get(informer.Key(vmi))
	for _, key := range c.index.Changed(vmi, !present, c.svcs.Cache().List(vmi.Namespace)) {
		c.queue.Add(key)
	}
}

// Run lists and watches Services, VMIs and Endpoints and, once all three
// caches are filled, syncs Services until ctx ends. It returns nil after a
// clean stop.
func (c *Controller) Run(ctx context.Context) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var wg sync.WaitGroup
	for _, run := range []func(context.Context){c.svcs.Run, c.vmis.Run, c.eps.Run} {
		wg.Go(func() { run(ctx) })
	}
	if informer.WaitForSync(ctx, c.svcs.Synced(), c.vmis.Synced(), c.eps.Synced()) {
		// VMI events before the Services were listed queued nothing.
		for _, s := range c.svcs.Cache().List("") {
			c.queue.Add(informer.Key(s))
		}
		c.log.Info("caches filled, syncing", "services", c.svcs.Cache().Len(),
			"vmis", c.vmis.Cache().Len(), "endpoints", c.eps.Cache().Len(), "workers", c.opts.Workers)
		for range c.opts.Workers {
			wg.Go(func() { c.queue.Work(ctx, c.process) })
		}
	}
	<-ctx.Done()
	c.queue.ShutDown()
	wg.Wait()
	return nil
}

// process syncs one Service and retries it with backoff after an error.
func (c *Controller) process(ctx context.Context, key string) {
	err := c.Sync(ctx, key)
	if err == nil {
		c.retries.Forget(key)
		return
	}
	if ctx.Err() != nil {
		return
	}
	delay := c.retries.Failed(key)
	c.log.Warn("endpoints sync failed, retrying", "service", key, "err", err, "after", delay)
	c.queue.AddAfter(key, delay)
}
