package vm

import (
	"context"
	"log/slog"
	"math/rand/v2"
	"sync"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/clock"

	v1 "vigil.dev/vigil/api/v1"
	"vigil.dev/vigil/internal/controller/informer"
	"vigil.dev/vigil/internal/resource"
)

// Options configure a Controller. Zero values get defaults.
type Options struct {
	// Clock drives backoff timers and timestamps (default: the real clock).
	Clock clock.WithDelayedExecution
	// Logger gets the controller's logs (default: slog.Default()).
	Logger *slog.Logger
	// Jitter spreads crash-loop backoffs, a number in [0, 1)
	// (default: math/rand).
	Jitter func() float64
	// Workers is how many VMs are reconciled at once (default 2).
	Workers int
	// Recorder receives the VM events (default: none are recorded).
	Recorder EventRecorder
	// RetryDelay is the first wait after a failed list, watch or reconcile;
	// reconcile retries of one VM double it up to MaxRetryDelay.
	// Default 1 s.
	RetryDelay time.Duration
	// MaxRetryDelay caps the retry backoff of one VM (default 1 min).
	MaxRetryDelay time.Duration
}

func (o Options) withDefaults() Options {
	if o.Clock == nil {
		o.Clock = clock.RealClock{}
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	if o.Jitter == nil {
		o.Jitter = rand.Float64
	}
	if o.Workers < 1 {
		o.Workers = 2
	}
	if o.Recorder == nil {
		o.Recorder = discardEvents{}
	}
	if o.RetryDelay <= 0 {
		o.RetryDelay = time.Second
	}
	if o.MaxRetryDelay < o.RetryDelay {
		o.MaxRetryDelay = max(time.Minute, o.RetryDelay)
	}
	return o
}

// Controller is the VM controller: it watches VMs and VMIs and reconciles
// each VM, one at a time per VM, through Decide.
type Controller struct {
	api   API
	opts  Options
	log   *slog.Logger
	vms   *informer.Informer[*v1.VirtualMachine]
	vmis  *informer.Informer[*v1.VirtualMachineInstance]
	queue *informer.Queue

	// retries counts consecutive failures per key for the retry backoff.
	retries *informer.Retries[string]
}

// NewController builds a controller; Run starts it.
func NewController(api API, opts Options) *Controller {
	opts = opts.withDefaults()
	c := &Controller{api: api, opts: opts, log: opts.Logger.With("controller", "vm"),
		queue:   informer.NewQueue(opts.Clock),
		retries: &informer.Retries[string]{Base: opts.RetryDelay, Max: opts.MaxRetryDelay}}
	iopts := informer.Options{Clock: opts.Clock, Retry: opts.RetryDelay, Logger: c.log}
	c.vms = informer.New(api, resource.VirtualMachines, iopts,
		func(vm *v1.VirtualMachine) { c.queue.Add(informer.Key(vm)) })
	c.vmis = informer.New(api, resource.VirtualMachineInstances, iopts,
		func(vmi *v1.VirtualMachineInstance) { c.queue.Add(ownerKey(vmi)) })
	return c
}

// ownerKey is the key of the VM a VMI belongs to: its controller
// reference when it has one, else the VM of the same name.
func ownerKey(vmi *v1.VirtualMachineInstance) string {
	if ref := metav1.GetControllerOf(vmi); ref != nil && ref.Kind == v1.VirtualMachineGroupVersionKind.Kind {
		return vmi.Namespace + "/" + ref.Name
	}
	return informer.Key(vmi)
}

// Run lists and watches VMs and VMIs, and once both caches are filled,
// reconciles VMs until ctx ends. It returns nil after a clean stop.
func (c *Controller) Run(ctx context.Context) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var wg sync.WaitGroup
	for _, run := range []func(context.Context){c.vms.Run, c.vmis.Run} {
		wg.Add(1)
		go func() { defer wg.Done(); run(ctx) }()
	}
	if informer.WaitForSync(ctx, c.vms.Synced(), c.vmis.Synced()) {
		c.log.Info("caches filled, reconciling", "vms", c.vms.Cache().Len(), "vmis", c.vmis.Cache().Len(), "workers", c.opts.Workers)
		for range c.opts.Workers {
			wg.Add(1)
			go func() { defer wg.Done(); c.queue.Work(ctx, c.process) }()
		}
	}
	<-ctx.Done()
	c.queue.ShutDown()
	wg.Wait()
	return nil
}

// process reconciles one VM and schedules what comes next: a retry with
// backoff after an error, or a look at the end of a crash-loop backoff.
func (c *Controller) process(ctx context.Context, key string) {
	requeue, err := c.reconcile(ctx, key)
	if err != nil {
		if ctx.Err() != nil {
			return
		}
		delay := c.retries.Failed(key)
		c.log.Warn("reconcile failed, retrying", "vm", key, "err", err, "after", delay)
		c.queue.AddAfter(key, delay)
		return
	}
	c.retries.Forget(key)
	if requeue > 0 {
		c.queue.AddAfter(key, requeue)
	}
}
