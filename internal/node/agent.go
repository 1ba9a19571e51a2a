package node

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"

	"k8s.io/apimachinery/pkg/types"

	v1 "vigil.dev/vigil/api/v1"
	"vigil.dev/vigil/internal/client"
	"vigil.dev/vigil/internal/controller/informer"
	"vigil.dev/vigil/internal/events"
	"vigil.dev/vigil/internal/images"
	"vigil.dev/vigil/internal/network"
	"vigil.dev/vigil/internal/probe"
	"vigil.dev/vigil/internal/qemu"
	"vigil.dev/vigil/internal/qga"
)

// EventComponent is the source of the agent's events: KubeVirt's name for
// the node daemon, so tools that filter on it keep working.
const EventComponent = "virt-handler"

// ErrNotRunning means the VMI has no running QEMU on this node.
var ErrNotRunning = errors.New("vmi is not running on this node")

// Agent is the node agent. Build it with New, run it with Run (it is a
// daemon component); its other methods are safe to call from any
// goroutine, before Run too (they then find nothing running).
type Agent struct {
	cfg Config
	log *slog.Logger

	// Set by Run before ready is closed, constant afterwards.
	ctx    context.Context
	api    API
	rec    EventRecorder
	accel  string
	host   NetworkHost
	alloc  *network.Allocator
	images *images.Store
	cache  *vmiCache
	queue  *informer.TypedQueue[types.UID]
	ready  chan struct{}
	// metrics belong to the probe engine; they exist from New on so the
	// API server can register them before Run.
	metrics *probe.Metrics
	// probes is the probe engine, started by Run (setup).
	probes probeManager

	retries *informer.Retries[types.UID] // consecutive failures per VMI, for the retry delay

	mu       sync.Mutex
	states   map[types.UID]*vmiState
	consoles map[types.UID]bool
	stops    sync.WaitGroup
}

// New checks cfg and builds an agent.
func New(cfg Config) (*Agent, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	return &Agent{
		cfg:      cfg,
		log:      cfg.Logger,
		cache:    newVMICache(),
		queue:    informer.NewTypedQueue[types.UID](cfg.Clock),
		ready:    make(chan struct{}),
		metrics:  probe.NewMetrics(),
		states:   map[types.UID]*vmiState{},
		retries:  &informer.Retries[types.UID]{Base: retryDelay, Max: maxRetryDelay},
		consoles: map[types.UID]bool{},
	}, nil
}

// Name names the component in the daemon's logs.
func (a *Agent) Name() string { return "node" }

// NodeName is the name this agent schedules VMIs onto.
func (a *Agent) NodeName() string { return a.cfg.NodeName }

// Run runs the agent until ctx ends: it prepares the host (accelerator,
// network), takes over the QEMUs an earlier daemon left running, then
// reconciles every VMI. On return the VMs keep running; a later Run
// reattaches them.
func (a *Agent) Run(ctx context.Context, socket string) error {
	if err := a.setup(ctx, socket); err != nil {
		return err
	}
	defer a.teardown()
	if err := a.restore(ctx); err != nil {
		return err
	}
	inf := &vmiInformer{api: a.api, cache: a.cache, notify: a.queue.Add, clock: a.cfg.Clock, retry: retryDelay,
		log: a.log}
	var wg sync.WaitGroup
	wg.Add(1)
	go func() { defer wg.Done(); inf.run(ctx) }()
	for range a.cfg.Workers {
		wg.Add(1)
		go func() { defer wg.Done(); a.work() }()
	}
	close(a.ready)
	a.log.Info("node: agent running", "node", a.cfg.NodeName, "accel", a.accel, "workers", a.cfg.Workers)
	<-ctx.Done()
	a.queue.ShutDown()
	wg.Wait()
	return nil
}

// setup connects to the API and prepares the host: accelerator, network,
// image store.
func (a *Agent) setup(ctx context.Context, socket string) error {
	a.ctx = ctx
	if err := a.cfg.prepareVMIsBase(); err != nil {
		return err
	}
	a.api = a.cfg.API
	if a.api == nil {
		c, err := client.New(client.Config{Server: "unix://" + socket, UserAgent: "vigil/node"})
		if err != nil {
			return fmt.Errorf("node: api client: %w", err)
		}
		a.api = c
	}
	rec := events.NewRecorder(a.api, EventComponent, a.cfg.Clock, a.log)
	a.rec = rec
	accel, err := qemu.DetectAccel(ctx, a.cfg.QEMUBinary, a.cfg.Accel)
	if err != nil {
		rec.Close()
		return fmt.Errorf("node: %w", err)
	}
	a.accel = accel
	a.log.Info("node: accelerator chosen", "want", a.cfg.Accel, "accel", accel, "qemu", a.cfg.QEMUBinary)
	if a.images, err = images.Open(a.cfg.ImagesDir); err != nil {
		rec.Close()
		return fmt.Errorf("node: %w", err)
	}
	a.host = a.cfg.Network
	if a.host == nil {
		h, err := network.Setup(ctx, network.Config{Bridge: a.cfg.Bridge, Subnet: a.cfg.Subnet,
			Logger: a.log})
		if err != nil {
			rec.Close()
			return fmt.Errorf("node: network: %w", err)
		}
		a.host = h
	}
	if a.alloc, err = network.NewAllocator(a.host.Subnet()); err != nil {
		a.host.Close()
		rec.Close()
		return fmt.Errorf("node: %w", err)
	}
	a.probes = a.newProbeManager()
	return nil
}

// teardown detaches from every VM (they keep running), stops the DHCP
// server and flushes the events.
func (a *Agent) teardown() {
	// The probes stop first and publish nothing on their way out: a
	// daemon restart must not make a Ready VMI unready.
	a.probes.Stop()
	a.stops.Wait() // background stops end with ctx
	a.mu.Lock()
	states := make([]*vmiState, 0, len(a.states))
	for _, st := range a.states {
		states = append(states, st)
	}
	a.mu.Unlock()
	for _, st := range states {
		st.detach()
	}
	if err := a.host.Close(); err != nil {
		a.log.Warn("node: closing the network", "err", err)
	}
	if rec, ok := a.rec.(*events.Recorder); ok {
		ctx, cancel := context.WithTimeout(context.Background(), eventFlushTimeout)
		defer cancel()
		if err := rec.Flush(ctx); err != nil {
			a.log.Warn("node: flushing events", "err", err)
		}
		rec.Close()
	}
	a.log.Info("node: agent stopped; VMs keep running", "vmis", len(states))
}

// state returns the agent's record of a VMI, or nil.
func (a *Agent) state(uid types.UID) *vmiState {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.states[uid]
}

func (a *Agent) putState(st *vmiState) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.states[st.uid] = st
}

// dropState forgets the VMI, and so does the probe engine.
func (a *Agent) dropState(uid types.UID) {
	a.mu.Lock()
	delete(a.states, uid)
	a.mu.Unlock()
	a.probes.RemoveVMI(uid)
}

// GuestAgent is the guest agent client of a running VMI, shared by every
// user of the channel (probes included); nil when the VMI does not run here.
func (a *Agent) GuestAgent(uid types.UID) *qga.Client {
	if st := a.state(uid); st != nil {
		return st.agent
	}
	return nil
}

// Process is the QEMU process of a running VMI; nil when there is none.
func (a *Agent) Process(uid types.UID) *qemu.Process {
	if st := a.state(uid); st != nil {
		return st.process()
	}
	return nil
}

// SetReadiness publishes a readiness result for a running VMI with a
// readinessProbe (the probe engine's SetReady); the Ready condition follows
// while the VMI runs and is neither paused nor being stopped. A change is
// written before SetReadiness returns (see publish): the probe engine
// measures that time as its reaction.
func (a *Agent) SetReadiness(uid types.UID, r Readiness) error {
	st := a.state(uid)
	if st == nil || st.process() == nil {
		return fmt.Errorf("readiness of vmi uid %s: %w", uid, ErrNotRunning)
	}
	if st.update(func(o *observation) bool {
		if o.Readiness != nil && *o.Readiness == r {
			return false
		}
		o.Readiness = &r
		return true
	}) {
		a.publish(st)
	}
	return nil
}

// StopVMI stops a running VMI for a reason of the caller's (a liveness
// failure, say): Ready drops to False at once, then the guest gets the
// ACPI power button and terminationGracePeriodSeconds before QEMU is
// killed, and the VMI ends Failed with reason and message whatever the
// guest did. It returns once the stop is under way.
func (a *Agent) StopVMI(uid types.UID, reason, message string) error {
	if reason == "" {
		return fmt.Errorf("stopping vmi uid %s: a reason is required", uid)
	}
	st := a.state(uid)
	if st == nil || st.running() == nil {
		return fmt.Errorf("stopping vmi uid %s: %w", uid, ErrNotRunning)
	}
	st.mu.Lock()
	if st.intent.Reason == "" {
		st.intent.Reason, st.intent.Message = reason, message
	}
	st.obs.Terminating = true
	st.mu.Unlock()
	st.log.Info("node: stop requested", "reason", reason, "message", message)
	a.publish(st) // Ready False now; the worker stops the VM
	a.queue.Add(uid)
	return nil
}

// The probe manager's effects (internal/probe.Effects): readiness results,
// liveness failures and probe events land here.

// SetReady publishes a readiness result; see SetReadiness.
func (a *Agent) SetReady(uid types.UID, ready bool, reason, message string) {
	if err := a.SetReadiness(uid, engineReadiness(ready, reason, message)); err != nil {
		a.log.Debug("node: readiness for a vmi that does not run", "uid", uid, "err", err)
	}
}

// LivenessFailed stops the VMI; it ends Failed with reason
// LivenessProbeFailed (see StopVMI).
func (a *Agent) LivenessFailed(uid types.UID, message string) {
	if err := a.StopVMI(uid, v1.LivenessProbeFailedReason, message); err != nil {
		a.log.Debug("node: liveness failure of a vmi that does not run", "uid", uid, "err", err)
	}
}

// Event records an event about the VMI with uid.
func (a *Agent) Event(uid types.UID, eventType, reason, message string) {
	select {
	case <-a.ready:
	default:
		return
	}
	if vmi := a.cache.get(uid); vmi != nil {
		a.rec.Event(vmi, eventType, reason, message)
	}
}
