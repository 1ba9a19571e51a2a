package events

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"sync"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	testclock "k8s.io/utils/clock/testing"

	v1 "vigil.dev/vigil/api/v1"
	"vigil.dev/vigil/internal/resource"
)

// fakeEvents stores Events in memory, with resourceVersions.
type fakeEvents struct {
	mu      sync.Mutex
	rv      int
	stored  map[string]*corev1.Event
	creates int
	updates int
	// hook, when set, runs before each call and may fail it.
	hook func(verb string, ev *corev1.Event) error
	// block, when set, holds every call until it is closed.
	block chan struct{}
}

func newFakeEvents() *fakeEvents { return &fakeEvents{stored: map[string]*corev1.Event{}} }

func (f *fakeEvents) enter(verb string, ev *corev1.Event) error {
	if f.block != nil {
		<-f.block
	}
	f.mu.Lock()
	if f.hook != nil {
		if err := f.hook(verb, ev); err != nil {
			return err
		}
	}
	return nil
}

func (f *fakeEvents) Get(ctx context.Context, r *resource.Info, ns, name string, into runtime.Object) error {
	if err := f.enter("get", nil); err != nil {
		f.mu.Unlock()
		return err
	}
	defer f.mu.Unlock()
	ev, ok := f.stored[ns+"/"+name]
	if !ok {
		return apierrors.NewNotFound(r.GroupResource(), name)
	}
	*into.(*corev1.Event) = *ev.DeepCopy()
	return nil
}

func (f *fakeEvents) Create(ctx context.Context, r *resource.Info, obj runtime.Object) error {
	ev := obj.(*corev1.Event)
	if err := f.enter("create", ev); err != nil {
		f.mu.Unlock()
		return err
	}
	defer f.mu.Unlock()
	key := ev.Namespace + "/" + ev.Name
	if _, ok := f.stored[key]; ok {
		return apierrors.NewAlreadyExists(r.GroupResource(), ev.Name)
	}
	f.rv++
	f.creates++
	ev.ResourceVersion = fmt.Sprint(f.rv)
	f.stored[key] = ev.DeepCopy()
	return nil
}

func (f *fakeEvents) Update(ctx context.Context, r *resource.Info, obj runtime.Object) error {
	ev := obj.(*corev1.Event)
	if err := f.enter("update", ev); err != nil {
		f.mu.Unlock()
		return err
	}
	defer f.mu.Unlock()
	key := ev.Namespace + "/" + ev.Name
	cur, ok := f.stored[key]
	if !ok {
		return apierrors.NewNotFound(r.GroupResource(), ev.Name)
	}
	if ev.ResourceVersion != cur.ResourceVersion {
		return apierrors.NewConflict(r.GroupResource(), ev.Name, errors.New("modified"))
	}
	f.rv++
	f.updates++
	ev.ResourceVersion = fmt.Sprint(f.rv)
	f.stored[key] = ev.DeepCopy()
	return nil
}

func (f *fakeEvents) all() []*corev1.Event {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []*corev1.Event
	for _, ev := range f.stored {
		out = append(out, ev.DeepCopy())
	}
	return out
}

var start = time.Date(2026, 7, 8, 9, 10, 11, 12_000, time.UTC)

func subject() *v1.VirtualMachine {
	// No TypeMeta, as objects decoded from a list often come: the kind is
	// found through the scheme.
	return &v1.VirtualMachine{ObjectMeta: metav1.ObjectMeta{Name: "vm1", Namespace: "ns1", UID: "vm-uid", ResourceVersion: "42"}}
}

func newTestRecorder(t *testing.T, api EventsAPI) (*Recorder, *testclock.FakeClock) {
	clk := testclock.NewFakeClock(start)
	r := NewRecorder(api, "vigil-vm-controller", clk, slog.New(slog.NewTextHandler(io.Discard, nil)))
	t.Cleanup(r.Close)
	return r, clk
}

func flush(t *testing.T, r *Recorder) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := r.Flush(ctx); err != nil {
		t.Fatal(err)
	}
}

func TestEventIsCreatedWithKubernetesShape(t *testing.T) {
	api := newFakeEvents()
	r, _ := newTestRecorder(t, api)
	r.Eventf(subject(), corev1.EventTypeNormal, "SuccessfulCreate", "Started the virtual machine by creating the new virtual machine instance %s", "vm1")
	flush(t, r)

	evs := api.all()
	if len(evs) != 1 {
		t.Fatalf("%d events stored, want 1", len(evs))
	}
	ev := evs[0]
	ts := metav1.NewTime(start)
	want := corev1.Event{
		ObjectMeta: metav1.ObjectMeta{Name: fmt.Sprintf("vm1.%x", start.UnixNano()), Namespace: "ns1", ResourceVersion: "1"},
		InvolvedObject: corev1.ObjectReference{Kind: "VirtualMachine", APIVersion: "kubevirt.io/v1", Namespace: "ns1",
			Name: "vm1", UID: "vm-uid", ResourceVersion: "42"},
		Reason:              "SuccessfulCreate",
		Message:             "Started the virtual machine by creating the new virtual machine instance vm1",
		Type:                corev1.EventTypeNormal,
		Source:              corev1.EventSource{Component: "vigil-vm-controller"},
		FirstTimestamp:      ts,
		LastTimestamp:       ts,
		Count:               1,
		ReportingController: "vigil-vm-controller",
	}
	if fmt.Sprintf("%+v", *ev) != fmt.Sprintf("%+v", want) {
		t.Fatalf("event\n%+v\nwant\n%+v", *ev, want)
	}
}

func TestRepeatsAreAggregated(t *testing.T) {
	api := newFakeEvents()
	r, clk := newTestRecorder(t, api)
	vm := subject()
	r.Event(vm, corev1.EventTypeWarning, "FailedCreate", "disk full")
	flush(t, r)
	clk.Step(time.Minute)
	r.Event(vm, corev1.EventTypeWarning, "FailedCreate", "disk full")
	clk.Step(9 * time.Minute) // 9 min after the last one: still within the window
	r.Event(vm, corev1.EventTypeWarning, "FailedCreate", "disk full")
	r.Event(vm, corev1.EventTypeWarning, "FailedCreate", "another message")
	other := subject()
	other.UID = "other-uid"
	r.Event(other, corev1.EventTypeWarning, "FailedCreate", "disk full")
	flush(t, r)

	counts := map[string]int32{}
	for _, ev := range api.all() {
		counts[string(ev.InvolvedObject.UID)+" "+ev.Message] = ev.Count
		if ev.Message == "disk full" && ev.InvolvedObject.UID == "vm-uid" {
			if !ev.FirstTimestamp.Time.Equal(start) || !ev.LastTimestamp.Time.Equal(start.Add(10*time.Minute)) {
				t.Errorf("timestamps first=%v last=%v", ev.FirstTimestamp, ev.LastTimestamp)
			}
		}
	}
	want := map[string]int32{"vm-uid disk full": 3, "vm-uid another message": 1, "other-uid disk full": 1}
	if fmt.Sprint(counts) != fmt.Sprint(want) {
		t.Fatalf("counts %v, want %v", counts, want)
	}
	if api.creates != 3 || api.updates != 2 {
		t.Fatalf("%d creates %d updates, want 3 and 2", api.creates, api.updates)
	}
}

func TestRepeatAfterTheWindowIsANewEvent(t *testing.T) {
	api := newFakeEvents()
	r, clk := newTestRecorder(t, api)
	r.Event(subject(), corev1.EventTypeNormal, "Started", "up")
	flush(t, r)
	clk.Step(10 * time.Minute)
	r.Event(subject(), corev1.EventTypeNormal, "Started", "up")
	flush(t, r)
	if evs := api.all(); len(evs) != 2 || evs[0].Count != 1 || evs[1].Count != 1 {
		t.Fatalf("events %d, want 2 with count 1", len(evs))
	}
}

func TestAggregationSurvivesAConflictAndADeletedEvent(t *testing.T) {
	api := newFakeEvents()
	r, clk := newTestRecorder(t, api)
	r.Event(subject(), corev1.EventTypeNormal, "Started", "up")
	flush(t, r)
	// Someone else bumped the stored event: our copy is stale.
	for _, ev := range api.all() {
		ev.Count = 5
		if err := api.Update(context.Background(), resource.Events, ev); err != nil {
			t.Fatal(err)
		}
	}
	clk.Step(time.Second)
	r.Event(subject(), corev1.EventTypeNormal, "Started", "up")
	flush(t, r)
	if evs := api.all(); len(evs) != 1 || evs[0].Count != 6 {
		t.Fatalf("after a conflict: %d events, count %d, want one with 6", len(evs), evs[0].Count)
	}
	// The stored event is gone (expired): the next occurrence starts anew.
	api.mu.Lock()
	api.stored = map[string]*corev1.Event{}
	api.mu.Unlock()
	clk.Step(time.Second)
	r.Event(subject(), corev1.EventTypeNormal, "Started", "up")
	flush(t, r)
	if evs := api.all(); len(evs) != 1 || evs[0].Count != 1 {
		t.Fatalf("after a deletion: %d events, want one new with count 1", len(evs))
	}
}

func TestEventNeverBlocksAndDropsOverflow(t *testing.T) {
	api := newFakeEvents()
	api.block = make(chan struct{})
	r, clk := newTestRecorder(t, api)
	done := make(chan struct{})
	go func() {
		defer close(done)
		for i := range queueSize + 50 {
			clk.Step(time.Nanosecond)
			r.Event(subject(), corev1.EventTypeNormal, "Tick", fmt.Sprint(i))
		}
	}()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("Event blocked while the API was stuck")
	}
	close(api.block)
	flush(t, r)
	// The writer held one event when the queue filled: at most
	// queueSize+1 were kept, the rest dropped.
	if n := len(api.all()); n < queueSize || n > queueSize+1 {
		t.Fatalf("%d events written, want %d or %d", n, queueSize, queueSize+1)
	}
}

func TestFlushAfterCloseFails(t *testing.T) {
	r, _ := newTestRecorder(t, newFakeEvents())
	r.Close()
	if err := r.Flush(context.Background()); err == nil {
		t.Fatal("Flush on a closed recorder succeeded")
	}
}

func TestUnknownObjectIsNotRecorded(t *testing.T) {
	api := newFakeEvents()
	r, _ := newTestRecorder(t, api)
	r.Event(&metav1.Status{}, corev1.EventTypeNormal, "X", "y") // no ObjectMeta
	flush(t, r)
	if len(api.all()) != 0 {
		t.Fatal("an event about an object without metadata was written")
	}
}
