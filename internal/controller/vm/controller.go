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
	vms   *informer[*v1.VirtualMachine]
	vmis  *informer[*v1.VirtualMachineInstance]
	queue *queue

	mu       sync.Mutex
	failures map[string]int // consecutive failed reconciles, by VM key
}

// NewController builds a controller; Run starts it.
func NewController(api API, opts Options) *Controller {
	opts = opts.withDefaults()
	c := &Controller{api: api, opts: opts, log: opts.Logger.With("controller", "vm"),
		queue: newQueue(opts.Clock), failures: map[string]int{}}
	c.vms = newInformer(api, resource.VirtualMachines, opts.Clock, opts.RetryDelay, c.log,
		func(vm *v1.VirtualMachine) { c.queue.Add(objectKey(vm)) })
	c.vmis = newInformer(api, resource.VirtualMachineInstances, opts.Clock, opts.RetryDelay, c.log,
		func(vmi *v1.VirtualMachineInstance) { c.queue.Add(ownerKey(vmi)) })
	return c
}

// ownerKey is the key of the VM a VMI belongs to: its controller
// reference when it has one, else the VM of the same name.
func ownerKey(vmi *v1.VirtualMachineInstance) string {
	if ref := metav1.GetControllerOf(vmi); ref != nil && ref.Kind == v1.VirtualMachineGroupVersionKind.Kind {
		return vmi.Namespace + "/" + ref.Name
	}
	return objectKey(vmi)
}

// Run lists and watches VMs and VMIs, and once both caches are filled,
// reconciles VMs until ctx ends. It returns nil after a clean stop.
func (c *Controller) Run(ctx context.Context) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var wg sync.WaitGroup
	for _, run := range []func(context.Context){c.vms.run, c.vmis.run} {
		wg.Add(1)
		go func() { defer wg.Done(); run(ctx) }()
	}
	if c.waitForSync(ctx) {
		c.log.Info("caches filled, reconciling", "vms", c.vms.cache.len(), "vmis", c.vmis.cache.len(), "workers", c.opts.Workers)
		for range c.opts.Workers {
			wg.Add(1)
			go func() { defer wg.Done(); c.work(ctx) }()
		}
	}
	<-ctx.Done()
	c.queue.ShutDown()
	wg.Wait()
	return nil
}

func (c *Controller) waitForSync(ctx context.Context) bool {
	for _, ch := range []<-chan struct{}{c.vms.synced, c.vmis.synced} {
		select {
		case <-ch:
		case <-ctx.Done():
			return false
		}
	}
	return true
}

func (c *Controller) work(ctx context.Context) {
	for {
		key, ok := c.queue.Get()
		if !ok {
			return
		}
		c.process(ctx, key)
		c.queue.Done(key)
	}
}

// process reconciles one VM and schedules what comes next: a retry with
// backoff after an error, or a look at the end of a crash-loop backoff.
func (c *Controller) process(ctx context.Context, key string) {
	requeue, err := c.reconcile(ctx, key)
	if err != nil {
		if ctx.Err() != nil {
			return
		}
		delay := c.retryDelay(key)
		c.log.Warn("reconcile failed, retrying", "vm", key, "err", err, "after", delay)
		c.queue.AddAfter(key, delay)
		return
	}
	c.mu.Lock()
	delete(c.failures, key)
	c.mu.Unlock()
	if requeue > 0 {
		c.queue.AddAfter(key, requeue)
	}
}

func (c *Controller) retryDelay(key string) time.Duration {
	c.mu.Lock()
	defer c.mu.Unlock()
	n := min(c.failures[key], 20)
	c.failures[key]++
	return min(c.opts.RetryDelay<<n, c.opts.MaxRetryDelay)
}
