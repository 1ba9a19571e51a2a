package store

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/watch"
)

// next receives one event, failing the test when none comes in time or
// the stream has ended.
func next(t *testing.T, ch <-chan Event) Event {
	t.Helper()
	select {
	case e, ok := <-ch:
		if !ok {
			t.Fatal("watch closed, want another event")
		}
		return e
	case <-time.After(ioTimeout):
		t.Fatal("no watch event in time")
	}
	return Event{}
}

// closed waits for the stream to end, returning how many events were left.
func closed(t *testing.T, ch <-chan Event) int {
	t.Helper()
	timer := time.NewTimer(ioTimeout)
	defer timer.Stop()
	for n := 0; ; n++ {
		select {
		case _, ok := <-ch:
			if !ok {
				return n
			}
		case <-timer.C:
			t.Fatal("watch not closed in time")
		}
	}
}

func watchCtx(t *testing.T) (context.Context, context.CancelFunc) {
	ctx, cancel := context.WithTimeout(context.Background(), ioTimeout)
	t.Cleanup(cancel)
	return ctx, cancel
}

// expect checks an event's type, object and revision.
func expect(t *testing.T, e Event, typ watch.EventType, name string, port int32, rev int64) {
	t.Helper()
	sv, ok := e.Object.(*corev1.Service)
	if e.Type != typ || !ok || sv.Name != name || sv.Spec.Ports[0].Port != port || e.Revision != rev || sv.ResourceVersion != formatRev(rev) {
		t.Fatalf("event = %s %+v at %d, want %s %s port %d at %d", e.Type, e.Object, e.Revision, typ, name, port, rev)
	}
}

func TestWatchFromRevisionSeesEveryChangeInOrder(t *testing.T) {
	s := openTestStore(t)
	ctx := testCtx(t)
	mustCreate(t, s, svcs, svc("ns", "a", 80))
	since := revision(t, s)

	a := mustGet(t, s, "ns", "a")
	a.Spec.Ports[0].Port = 81
	if err := s.Update(ctx, svcs, a); err != nil {
		t.Fatalf("update a: %v", err)
	}
	mustCreate(t, s, svcs, svc("ns", "b", 90))
	if err := s.Delete(ctx, svcs, "ns", "a", Preconditions{}, nil); err != nil {
		t.Fatalf("delete a: %v", err)
	}

	wctx, cancel := watchCtx(t)
	ch, err := s.Watch(wctx, svcs, "ns", since)
	if err != nil {
		t.Fatalf("watch: %v", err)
	}
	expect(t, next(t, ch), watch.Modified, "a", 81, since+1)
	expect(t, next(t, ch), watch.Added, "b", 90, since+2)
	expect(t, next(t, ch), watch.Deleted, "a", 81, since+3)

	mustCreate(t, s, svcs, svc("ns", "c", 100))
	expect(t, next(t, ch), watch.Added, "c", 100, since+4)
	cancel()
	if n := closed(t, ch); n != 0 {
		t.Fatalf("%d unexpected events after the last change", n)
	}
}

func TestWatchFromNowIsNamespaceFiltered(t *testing.T) {
	s := openTestStore(t)
	mustCreate(t, s, svcs, svc("ns", "before", 80))
	wctx, _ := watchCtx(t)
	ch, err := s.Watch(wctx, svcs, "ns", 0)
	if err != nil {
		t.Fatalf("watch: %v", err)
	}
	mustCreate(t, s, svcs, svc("ns-2", "elsewhere", 80))
	mustCreate(t, s, svcs, svc("other", "elsewhere", 80))
	mustCreate(t, s, svcs, svc("ns", "after", 81))
	expect(t, next(t, ch), watch.Added, "after", 81, revision(t, s))
}

func TestWatchSlowConsumerLosesNothing(t *testing.T) {
	s := openTestStore(t)
	since := revision(t, s)
	wctx, cancel := watchCtx(t)
	ch, err := s.Watch(wctx, svcs, "", since)
	if err != nil {
		t.Fatalf("watch: %v", err)
	}
	const n = watchBuffer + 50 // more than the channel holds
	for i := range n {
		mustCreate(t, s, svcs, svc("ns", fmt.Sprintf("s%03d", i), 80))
	}
	for i := range n {
		e := next(t, ch)
		if e.Type != watch.Added || e.Revision != since+int64(i)+1 {
			t.Fatalf("event %d: %s at %d, want Added at %d", i, e.Type, e.Revision, since+int64(i)+1)
		}
	}
	cancel()
	closed(t, ch)
}

func TestWatchEndsWhenConsumerStops(t *testing.T) {
	s := openTestStore(t)
	since := revision(t, s)
	for i := range watchBuffer + 20 {
		mustCreate(t, s, svcs, svc("ns", fmt.Sprintf("s%03d", i), 80))
	}
	wctx, cancel := watchCtx(t)
	ch, err := s.Watch(wctx, svcs, "", since)
	if err != nil {
		t.Fatalf("watch: %v", err)
	}
	next(t, ch) // the stream is running and has more than the buffer to send
	cancel()
	if left := closed(t, ch); left > watchBuffer {
		t.Fatalf("%d events after cancel, want at most the buffer (%d)", left, watchBuffer)
	}
}

func TestWatchFromCompactedRevisionIsGone(t *testing.T) {
	s := openTestStore(t)
	mustCreate(t, s, svcs, svc("ns", "a", 80))
	since := revision(t, s)
	mustCreate(t, s, svcs, svc("ns", "b", 80)) // since+1, compacted away below
	mustCreate(t, s, svcs, svc("ns", "c", 80))
	compacted := compact(t, s)

	wctx, _ := watchCtx(t)
	ch, err := s.Watch(wctx, svcs, "ns", since)
	status, ok := err.(apierrors.APIStatus)
	if ch != nil || !ok {
		t.Fatalf("watch from %d after compaction at %d: %v, want a 410 error and no stream", since, compacted, err)
	}
	want := fmt.Sprintf("too old resource version: %d", since)
	if st := status.Status(); st.Code != http.StatusGone || st.Reason != metav1.StatusReasonExpired || !strings.Contains(st.Message, want) {
		t.Fatalf("status = %d %s %q, want 410 Expired %q", st.Code, st.Reason, st.Message, want)
	}
}

// A watch from the revision etcd compacted at runs; one from just before
// it is refused, since the first change after it (at the compacted
// revision) could no longer carry its previous state: a deletion there
// would have no last state to report.
func TestWatchFromTheCompactionBoundary(t *testing.T) {
	s := openTestStore(t)
	ctx := testCtx(t)
	mustCreate(t, s, svcs, svc("ns", "a", 80))
	mustCreate(t, s, svcs, svc("ns", "b", 80))
	if err := s.Delete(ctx, svcs, "ns", "a", Preconditions{}, nil); err != nil {
		t.Fatal(err)
	}
	compacted := compact(t, s) // the deletion's revision

	wctx, _ := watchCtx(t)
	if ch, err := s.Watch(wctx, svcs, "ns", compacted-1); ch != nil || !apierrors.IsResourceExpired(err) {
		t.Fatalf("watch from %d (compacted at %d): %v, want 410 Expired and no stream", compacted-1, compacted, err)
	}
	at, err := s.Watch(wctx, svcs, "ns", compacted)
	if err != nil {
		t.Fatalf("watch from the compacted revision %d: %v", compacted, err)
	}
	if err := s.Delete(ctx, svcs, "ns", "b", Preconditions{}, nil); err != nil {
		t.Fatal(err)
	}
	e := next(t, at)
	if m, ok := e.Object.(*corev1.Service); e.Type != watch.Deleted || e.Revision != compacted+1 || !ok || m.Name != "b" {
		t.Fatalf("first event %s %T at %d, want DELETED b at %d", e.Type, e.Object, e.Revision, compacted+1)
	}
}

// A compaction that lands between Watch's check and the etcd watch's start
// reaches the consumer as a final Error event with the same 410.
func TestWatcherEndsWithGoneOnACompactedResponse(t *testing.T) {
	wch := make(chan clientv3.WatchResponse, 1)
	wch <- clientv3.WatchResponse{CompactRevision: 9}
	close(wch)
	out := make(chan Event, 2)
	w := &watcher{r: svcs, since: 4, out: out, log: slog.New(slog.DiscardHandler)}
	w.run(t.Context(), wch)
	close(out)
	e, ok := <-out
	status, isStatus := e.Object.(*metav1.Status)
	if !ok || e.Type != watch.Error || !isStatus {
		t.Fatalf("event = %s %T, want Error with a Status", e.Type, e.Object)
	}
	if want := "too old resource version: 4 (9)"; status.Code != http.StatusGone || status.Message != want {
		t.Fatalf("status = %d %q, want 410 %q", status.Code, status.Message, want)
	}
	if _, more := <-out; more {
		t.Fatal("events after the error")
	}
}
