package vm

import (
	"context"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/watch"

	v1 "vigil.dev/vigil/api/v1"
	"vigil.dev/vigil/internal/client"
	"vigil.dev/vigil/internal/resource"
)

// fakeAPI is an in-memory API server for VMs and VMIs: resourceVersions,
// UIDs, status updates with optimistic concurrency, UID preconditions on
// delete, and watches that replay from a resourceVersion.
type fakeAPI struct {
	mu       sync.Mutex
	rv       int64
	uids     int
	objs     map[string]map[string]runtime.Object // resource -> key -> object
	history  map[string][]watch.Event             // resource -> events in rv order
	watchers map[string][]*fakeWatcher
	calls    map[string]int // "create virtualmachineinstances", ...

	// gracefulVMIDelete: deleting a VMI sets its deletionTimestamp (the node
	// agent stops it first); finishDelete removes it.
	gracefulVMIDelete bool
	// fail, when set, is asked before each call and may return an error.
	fail func(verb string, r *resource.Info) error
	// expiredBefore makes watches from an older resourceVersion fail with Gone.
	expiredBefore int64
}

func newFakeAPI() *fakeAPI {
	return &fakeAPI{objs: map[string]map[string]runtime.Object{}, history: map[string][]watch.Event{},
		watchers: map[string][]*fakeWatcher{}, calls: map[string]int{}}
}

var _ API = (*fakeAPI)(nil)

func (f *fakeAPI) begin(verb string, r *resource.Info) error {
	f.calls[verb+" "+r.Resource]++
	if f.fail != nil {
		return f.fail(verb, r)
	}
	return nil
}

// writes counts the calls that change something.
func (f *fakeAPI) writes() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	n := 0
	for k, v := range f.calls {
		switch verb, _, _ := strings.Cut(k, " "); verb {
		case "create", "update", "updatestatus", "delete":
			n += v
		}
	}
	return n
}

func (f *fakeAPI) callCount(key string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.calls[key]
}

func (f *fakeAPI) totalCalls() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	n := 0
	for _, v := range f.calls {
		n += v
	}
	return n
}

func (f *fakeAPI) bucket(r *resource.Info) map[string]runtime.Object {
	if f.objs[r.Resource] == nil {
		f.objs[r.Resource] = map[string]runtime.Object{}
	}
	return f.objs[r.Resource]
}

func keyOf(obj runtime.Object) (string, metav1.Object) {
	m, err := meta.Accessor(obj)
	if err != nil {
		panic(err)
	}
	return m.GetNamespace() + "/" + m.GetName(), m
}

// emit stores a change and tells the watchers; f.mu is held.
func (f *fakeAPI) emit(r *resource.Info, t watch.EventType, obj runtime.Object) {
	ev := watch.Event{Type: t, Object: obj.DeepCopyObject()}
	f.history[r.Resource] = append(f.history[r.Resource], ev)
	for _, w := range f.watchers[r.Resource] {
		w.send(watch.Event{Type: t, Object: obj.DeepCopyObject()})
	}
}

func (f *fakeAPI) bump(m metav1.Object) {
	f.rv++
	m.SetResourceVersion(strconv.FormatInt(f.rv, 10))
}

func (f *fakeAPI) Get(ctx context.Context, r *resource.Info, ns, name string, into runtime.Object) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.begin("get", r); err != nil {
		return err
	}
	obj, ok := f.bucket(r)[ns+"/"+name]
	if !ok {
		return apierrors.NewNotFound(r.GroupResource(), name)
	}
	return copyInto(obj, into)
}

func copyInto(src, dst runtime.Object) error {
	switch d := dst.(type) {
	case *v1.VirtualMachine:
		*d = *src.(*v1.VirtualMachine).DeepCopy()
	case *v1.VirtualMachineInstance:
		*d = *src.(*v1.VirtualMachineInstance).DeepCopy()
	default:
		return fmt.Errorf("fake API: cannot copy into %T", dst)
	}
	return nil
}

func (f *fakeAPI) List(ctx context.Context, r *resource.Info, ns string, opts client.ListOptions, into runtime.Object) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.begin("list", r); err != nil {
		return err
	}
	var keys []string
	for k := range f.bucket(r) {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var items []runtime.Object
	for _, k := range keys {
		items = append(items, f.bucket(r)[k].DeepCopyObject())
	}
	if err := meta.SetList(into, items); err != nil {
		return err
	}
	acc, _ := meta.ListAccessor(into)
	acc.SetResourceVersion(strconv.FormatInt(f.rv, 10))
	return nil
}

func (f *fakeAPI) Create(ctx context.Context, r *resource.Info, obj runtime.Object) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.begin("create", r); err != nil {
		return err
	}
	key, m := keyOf(obj)
	if _, ok := f.bucket(r)[key]; ok {
		return apierrors.NewAlreadyExists(r.GroupResource(), m.GetName())
	}
	f.uids++
	m.SetUID(types.UID(fmt.Sprintf("%s-uid-%d", m.GetName(), f.uids)))
	m.SetGeneration(1)
	m.SetCreationTimestamp(metav1.NewTime(time.Unix(1_700_000_000, 0)))
	if vmi, ok := obj.(*v1.VirtualMachineInstance); ok {
		vmi.Status.Phase = v1.Pending
	}
	f.bump(m)
	f.bucket(r)[key] = obj.DeepCopyObject()
	f.emit(r, watch.Added, obj)
	return nil
}

// update stores obj with change applied to the stored copy.
func (f *fakeAPI) update(verb string, r *resource.Info, obj runtime.Object, change func(stored, in runtime.Object)) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.begin(verb, r); err != nil {
		return err
	}
	key, m := keyOf(obj)
	stored, ok := f.bucket(r)[key]
	if !ok {
		return apierrors.NewNotFound(r.GroupResource(), m.GetName())
	}
	_, sm := keyOf(stored)
	if rv := m.GetResourceVersion(); rv != "" && rv != sm.GetResourceVersion() {
		return apierrors.NewConflict(r.GroupResource(), m.GetName(), fmt.Errorf("the object has been modified"))
	}
	next := stored.DeepCopyObject()
	change(next, obj)
	_, nm := keyOf(next)
	f.bump(nm)
	f.bucket(r)[key] = next
	f.emit(r, watch.Modified, next)
	return copyInto(next, obj)
}

func (f *fakeAPI) UpdateStatus(ctx context.Context, r *resource.Info, obj runtime.Object) error {
	return f.update("updatestatus", r, obj, func(stored, in runtime.Object) {
		switch s := stored.(type) {
		case *v1.VirtualMachine:
			s.Status = *in.(*v1.VirtualMachine).Status.DeepCopy()
		case *v1.VirtualMachineInstance:
			s.Status = *in.(*v1.VirtualMachineInstance).Status.DeepCopy()
		}
	})
}

func (f *fakeAPI) Update(ctx context.Context, r *resource.Info, obj runtime.Object) error {
	return f.update("update", r, obj, func(stored, in runtime.Object) {
		switch s := stored.(type) {
		case *v1.VirtualMachine:
			s.Spec = *in.(*v1.VirtualMachine).Spec.DeepCopy()
			s.Generation++
		case *v1.VirtualMachineInstance:
			s.Spec = *in.(*v1.VirtualMachineInstance).Spec.DeepCopy()
		}
	})
}

func (f *fakeAPI) Delete(ctx context.Context, r *resource.Info, ns, name string, opts metav1.DeleteOptions) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.begin("delete", r); err != nil {
		return err
	}
	key := ns + "/" + name
	stored, ok := f.bucket(r)[key]
	if !ok {
		return apierrors.NewNotFound(r.GroupResource(), name)
	}
	_, sm := keyOf(stored)
	if p := opts.Preconditions; p != nil && p.UID != nil && *p.UID != sm.GetUID() {
		return apierrors.NewConflict(r.GroupResource(), name, fmt.Errorf("precondition failed: UID"))
	}
	if r == resource.VirtualMachineInstances && f.gracefulVMIDelete {
		if sm.GetDeletionTimestamp() == nil {
			ts := metav1.NewTime(time.Unix(1_700_000_100, 0))
			sm.SetDeletionTimestamp(&ts)
			f.bump(sm)
			f.emit(r, watch.Modified, stored)
		}
		return nil
	}
	f.removeLocked(r, key)
	return nil
}

func (f *fakeAPI) removeLocked(r *resource.Info, key string) {
	stored := f.bucket(r)[key]
	delete(f.bucket(r), key)
	_, sm := keyOf(stored)
	f.bump(sm)
	f.emit(r, watch.Deleted, stored)
}

func (f *fakeAPI) Watch(ctx context.Context, r *resource.Info, ns string, opts client.ListOptions) (watch.Interface, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.begin("watch", r); err != nil {
		return nil, err
	}
	from, _ := strconv.ParseInt(opts.ResourceVersion, 10, 64)
	if from < f.expiredBefore {
		return nil, apierrors.NewResourceExpired("too old resource version")
	}
	w := &fakeWatcher{ch: make(chan watch.Event, 1000), api: f, res: r.Resource}
	for _, ev := range f.history[r.Resource] {
		_, m := keyOf(ev.Object)
		if rv, _ := strconv.ParseInt(m.GetResourceVersion(), 10, 64); rv > from {
			w.send(watch.Event{Type: ev.Type, Object: ev.Object.DeepCopyObject()})
		}
	}
	f.watchers[r.Resource] = append(f.watchers[r.Resource], w)
	return w, nil
}

// expireWatches ends every watch with a 410 Gone error and makes watches
// from any older resourceVersion fail, as after a compaction.
func (f *fakeAPI) expireWatches() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.expiredBefore = f.rv
	for res, ws := range f.watchers {
		for _, w := range ws {
			st := apierrors.NewResourceExpired("too old resource version").ErrStatus
			w.send(watch.Event{Type: watch.Error, Object: &st})
			w.close()
		}
		f.watchers[res] = nil
	}
}

type fakeWatcher struct {
	api    *fakeAPI
	res    string
	ch     chan watch.Event
	closed bool
}

// send is called with api.mu held.
func (w *fakeWatcher) send(ev watch.Event) {
	if w.closed {
		return
	}
	select {
	case w.ch <- ev:
	default:
		panic("fake watch buffer full: the consumer is stuck")
	}
}

func (w *fakeWatcher) close() {
	if !w.closed {
		w.closed = true
		close(w.ch)
	}
}

func (w *fakeWatcher) Stop() {
	w.api.mu.Lock()
	defer w.api.mu.Unlock()
	w.close()
	ws := w.api.watchers[w.res]
	for i, x := range ws {
		if x == w {
			w.api.watchers[w.res] = append(ws[:i:i], ws[i+1:]...)
			break
		}
	}
}

func (w *fakeWatcher) ResultChan() <-chan watch.Event { return w.ch }

// --- what other parts of vigil do to the objects, for the tests ---

// mutate changes a stored object in place, as the node agent or a user
// would, and reports it to the watchers.
func (f *fakeAPI) mutate(r *resource.Info, key string, change func(obj runtime.Object)) {
	f.mu.Lock()
	defer f.mu.Unlock()
	stored, ok := f.bucket(r)[key]
	if !ok {
		panic("fake API: no " + r.Resource + " " + key)
	}
	change(stored)
	_, m := keyOf(stored)
	f.bump(m)
	f.emit(r, watch.Modified, stored)
}

func (f *fakeAPI) remove(r *resource.Info, key string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.removeLocked(r, key)
}

// removeUnseen removes an object without telling the watchers yet, as when
// one watch runs behind another.
func (f *fakeAPI) removeUnseen(r *resource.Info, key string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	delete(f.bucket(r), key)
}

func (f *fakeAPI) vm(key string) *v1.VirtualMachine {
	f.mu.Lock()
	defer f.mu.Unlock()
	o, ok := f.bucket(resource.VirtualMachines)[key]
	if !ok {
		return nil
	}
	return o.(*v1.VirtualMachine).DeepCopy()
}

func (f *fakeAPI) vmi(key string) *v1.VirtualMachineInstance {
	f.mu.Lock()
	defer f.mu.Unlock()
	o, ok := f.bucket(resource.VirtualMachineInstances)[key]
	if !ok {
		return nil
	}
	return o.(*v1.VirtualMachineInstance).DeepCopy()
}
