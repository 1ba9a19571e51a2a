package informer

import (
	"context"
	"io"
	"log/slog"
	"sync"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/watch"

	"vigil.dev/vigil/internal/client"
	"vigil.dev/vigil/internal/resource"
)

// fakeLW serves a fixed list, then one watch stream per Watch call from
// the streams queued in it.
type fakeLW struct {
	mu      sync.Mutex
	items   []corev1.Service
	rv      string
	lists   int
	watches []string // resourceVersions asked for
	streams []*watch.FakeWatcher
	listed  chan struct{} // one value per List, when set
}

func (f *fakeLW) List(_ context.Context, _ *resource.Info, _ string, _ client.ListOptions, into runtime.Object) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.lists++
	if f.listed != nil {
		f.listed <- struct{}{}
	}
	l := into.(*corev1.ServiceList)
	l.Items = append([]corev1.Service(nil), f.items...)
	l.ResourceVersion = f.rv
	return nil
}

func (f *fakeLW) Watch(_ context.Context, _ *resource.Info, _ string, opts client.ListOptions) (watch.Interface, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.watches = append(f.watches, opts.ResourceVersion)
	if len(f.streams) == 0 {
		return nil, apierrors.NewServiceUnavailable("no more streams")
	}
	w := f.streams[0]
	f.streams = f.streams[1:]
	return w, nil
}

func quiet() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

func TestInformerListsThenFollowsTheWatch(t *testing.T) {
	lw := &fakeLW{items: []corev1.Service{*svc("a", "x", "1", "4")}, rv: "5"}
	var seen []string
	inf := New(lw, resource.Services, Options{Logger: quiet()}, func(s *corev1.Service) {
		seen = append(seen, Key(s)+"@"+s.ResourceVersion)
	})
	select {
	case <-inf.Synced():
		t.Fatal("synced before the first list")
	default:
	}
	rv, err := inf.List(context.Background())
	if err != nil || rv != "5" {
		t.Fatalf("List = %q, %v", rv, err)
	}
	if !WaitForSync(context.Background(), inf.Synced()) {
		t.Fatal("not synced after the list")
	}
	for _, ev := range []watch.Event{
		{Type: watch.Modified, Object: svc("a", "x", "1", "6")},
		{Type: watch.Added, Object: svc("a", "y", "2", "7")},
		{Type: watch.Deleted, Object: svc("a", "x", "1", "8")},
		{Type: watch.Bookmark, Object: &corev1.Service{ObjectMeta: metav1.ObjectMeta{ResourceVersion: "9"}}},
	} {
		if _, err := inf.Handle(ev); err != nil {
			t.Fatal(err)
		}
	}
	want := []string{"a/x@4", "a/x@6", "a/y@7", "a/x@8"}
	if len(seen) != len(want) {
		t.Fatalf("handler saw %v, want %v", seen, want)
	}
	for i := range want {
		if seen[i] != want[i] {
			t.Fatalf("handler saw %v, want %v", seen, want)
		}
	}
	if _, ok := inf.Cache().Get("a/x"); ok {
		t.Fatal("deleted a/x still cached")
	}
	if _, err := inf.Handle(watch.Event{Type: watch.Error, Object: &apierrors.NewGone("too old").ErrStatus}); !apierrors.IsGone(err) {
		t.Fatalf("an Error event gave %v, want Gone", err)
	}
}

func TestInformerResumesAClosedStreamAndRelistsAfterExpiry(t *testing.T) {
	first, second := watch.NewFake(), watch.NewFake()
	lw := &fakeLW{rv: "5", streams: []*watch.FakeWatcher{first, second}, listed: make(chan struct{}, 8)}
	inf := New(lw, resource.Services, Options{Logger: quiet(), Retry: time.Millisecond}, func(*corev1.Service) {})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan struct{})
	go func() { inf.Run(ctx); close(done) }()

	first.Add(svc("a", "x", "1", "6"))
	first.Stop() // the server closes the stream: resume from 6
	second.Add(svc("a", "y", "2", "7"))
	second.Error(&apierrors.NewResourceExpired("too old").ErrStatus)
	for range 2 { // the first list, then the relist after the expiry
		select {
		case <-lw.listed:
		case <-time.After(10 * time.Second):
			t.Fatal("no relist after the expiry")
		}
	}
	lw.mu.Lock()
	watches := append([]string(nil), lw.watches...)
	lw.mu.Unlock()
	if len(watches) < 2 || watches[0] != "5" || watches[1] != "6" {
		t.Fatalf("watches asked for %v, want [5 6 ...]", watches)
	}
	cancel()
	<-done
}
