package node

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/netip"
	"strconv"
	"sync"
	"testing"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/watch"
	testclock "k8s.io/utils/clock/testing"

	v1 "vigil.dev/vigil/api/v1"
	"vigil.dev/vigil/internal/client"
	"vigil.dev/vigil/internal/images"
	"vigil.dev/vigil/internal/network"
	"vigil.dev/vigil/internal/resource"
)

// fakeAPI keeps VMIs in memory with the API server's update rules: status
// and metadata are written separately, resourceVersions must match, and an
// object being deleted goes once its last finalizer is removed.
type fakeAPI struct {
	mu   sync.Mutex
	rv   int
	vmis map[string]*v1.VirtualMachineInstance
	// gets and statusWrites count Get and UpdateStatus calls (conflicts
	// included): the round trips a write costs.
	gets, statusWrites int
}

// calls returns the Get and UpdateStatus counts.
func (f *fakeAPI) calls() (gets, statusWrites int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.gets, f.statusWrites
}

func newFakeAPI() *fakeAPI { return &fakeAPI{vmis: map[string]*v1.VirtualMachineInstance{}} }

var vmiGR = resource.VirtualMachineInstances.GroupResource()

func (f *fakeAPI) add(vmi *v1.VirtualMachineInstance) *v1.VirtualMachineInstance {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.rv++
	vmi = vmi.DeepCopy()
	vmi.ResourceVersion = strconv.Itoa(f.rv)
	f.vmis[key(vmi)] = vmi
	return vmi.DeepCopy()
}

func (f *fakeAPI) get(ns, name string) *v1.VirtualMachineInstance {
	f.mu.Lock()
	defer f.mu.Unlock()
	if v, ok := f.vmis[ns+"/"+name]; ok {
		return v.DeepCopy()
	}
	return nil
}

func (f *fakeAPI) Get(_ context.Context, _ *resource.Info, ns, name string, into runtime.Object) error {
	f.mu.Lock()
	f.gets++
	f.mu.Unlock()
	v := f.get(ns, name)
	if v == nil {
		return apierrors.NewNotFound(vmiGR, name)
	}
	*into.(*v1.VirtualMachineInstance) = *v
	return nil
}

func (f *fakeAPI) List(_ context.Context, _ *resource.Info, _ string, _ client.ListOptions, into runtime.Object) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	list := into.(*v1.VirtualMachineInstanceList)
	for _, v := range f.vmis {
		list.Items = append(list.Items, *v.DeepCopy())
	}
	list.ResourceVersion = strconv.Itoa(f.rv)
	return nil
}

func (f *fakeAPI) Create(context.Context, *resource.Info, runtime.Object) error {
	return fmt.Errorf("fake api: create is not expected")
}

func (f *fakeAPI) Watch(context.Context, *resource.Info, string, client.ListOptions) (watch.Interface, error) {
	return watch.NewEmptyWatch(), nil
}

// Update writes metadata and spec; the stored status stays.
func (f *fakeAPI) Update(_ context.Context, _ *resource.Info, obj runtime.Object) error {
	return f.write(obj.(*v1.VirtualMachineInstance), func(stored, in *v1.VirtualMachineInstance) {
		in.Status = stored.Status
	})
}

// UpdateStatus writes the status; stored metadata and spec stay.
func (f *fakeAPI) UpdateStatus(_ context.Context, _ *resource.Info, obj runtime.Object) error {
	f.mu.Lock()
	f.statusWrites++
	f.mu.Unlock()
	return f.write(obj.(*v1.VirtualMachineInstance), func(stored, in *v1.VirtualMachineInstance) {
		in.ObjectMeta, in.Spec = stored.ObjectMeta, stored.Spec
	})
}

func (f *fakeAPI) write(in *v1.VirtualMachineInstance, keep func(stored, in *v1.VirtualMachineInstance)) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	stored, ok := f.vmis[key(in)]
	switch {
	case !ok:
		return apierrors.NewNotFound(vmiGR, in.Name)
	case stored.ResourceVersion != in.ResourceVersion:
		return apierrors.NewConflict(vmiGR, in.Name, fmt.Errorf("resourceVersion %s is not %s", in.ResourceVersion, stored.ResourceVersion))
	}
	next := in.DeepCopy()
	keep(stored, next)
	f.rv++
	next.ResourceVersion = strconv.Itoa(f.rv)
	if next.DeletionTimestamp != nil && len(next.Finalizers) == 0 {
		delete(f.vmis, key(in))
	} else {
		f.vmis[key(in)] = next
	}
	*in = *next.DeepCopy()
	return nil
}

// fakeNet records taps instead of making them.
type fakeNet struct {
	mu   sync.Mutex
	taps map[string]netip.Addr
}

func (n *fakeNet) Subnet() netip.Prefix { return netip.MustParsePrefix("10.89.0.0/16") }

func (n *fakeNet) Attach(_ context.Context, uid string, ip netip.Addr, _ net.HardwareAddr) (string, error) {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.taps[uid] = ip
	return network.TapName(uid), nil
}

func (n *fakeNet) Detach(uid string) error {
	n.mu.Lock()
	defer n.mu.Unlock()
	delete(n.taps, uid)
	return nil
}

func (n *fakeNet) Close() error { return nil }

func (n *fakeNet) attached(uid types.UID) bool {
	n.mu.Lock()
	defer n.mu.Unlock()
	_, ok := n.taps[string(uid)]
	return ok
}

// fakeRecorder keeps events.
type fakeRecorder struct {
	mu     sync.Mutex
	events []string
}

func (r *fakeRecorder) Event(obj runtime.Object, eventType, reason, message string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.events = append(r.events, eventType+" "+reason+" "+message)
}

func (r *fakeRecorder) all() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.events...)
}

type testAgent struct {
	*Agent
	api    *fakeAPI
	net    *fakeNet
	rec    *fakeRecorder
	probes *fakeProbes
	clock  *testclock.FakeClock
}

// newTestAgent builds an agent wired to fakes, as Run's setup would, without
// starting workers: tests call reconcile themselves.
func newTestAgent(t *testing.T) *testAgent {
	t.Helper()
	api, fn, rec := newFakeAPI(), &fakeNet{taps: map[string]netip.Addr{}}, &fakeRecorder{}
	clk := testclock.NewFakeClock(t0)
	a, err := New(Config{NodeName: "n1", DataDir: t.TempDir(), Clock: clk, API: api,
		Network: fn, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	a.ctx, a.api, a.rec, a.accel, a.host = ctx, api, rec, "tcg", fn
	if a.alloc, err = network.NewAllocator(fn.Subnet()); err != nil {
		t.Fatal(err)
	}
	if a.images, err = images.Open(a.cfg.ImagesDir); err != nil {
		t.Fatal(err)
	}
	probes := newFakeProbes()
	a.probes = probes
	close(a.ready)
	return &testAgent{Agent: a, api: api, net: fn, rec: rec, probes: probes, clock: clk}
}

// create stores vmi in the API and the cache, as a watch event would.
func (ta *testAgent) create(vmi *v1.VirtualMachineInstance) *v1.VirtualMachineInstance {
	stored := ta.api.add(vmi)
	ta.cache.putIfNewer(stored)
	return stored
}

// sync copies the API's version of vmi into the cache (the watch's job),
// or removes it when it is gone.
func (ta *testAgent) sync(vmi *v1.VirtualMachineInstance) *v1.VirtualMachineInstance {
	if v := ta.api.get(vmi.Namespace, vmi.Name); v != nil {
		ta.cache.putIfNewer(v)
		return v
	}
	ta.cache.remove(vmi)
	return nil
}

// step reconciles vmi once and syncs the cache afterwards.
func (ta *testAgent) step(t *testing.T, vmi *v1.VirtualMachineInstance) *v1.VirtualMachineInstance {
	t.Helper()
	if err := ta.reconcile(context.Background(), vmi.UID); err != nil {
		t.Fatalf("reconcile: %v", err)
	}
	return ta.sync(vmi)
}
