package store

import (
	"context"
	"log/slog"
	"os"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"vigil.dev/vigil/internal/resource"
)

// ioTimeout bounds waits on real I/O (etcd start, fsync, watch delivery);
// generous because CI disks are slow, never a wait for logic.
const ioTimeout = 30 * time.Second

// testNow is the fixed clock of test stores.
var testNow = time.Date(2026, 1, 2, 3, 4, 5, 678_000_000, time.UTC)

var svcs = resource.Services

// testLogger shows etcd's warnings and errors on stderr.
func testLogger() *slog.Logger {
	return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
}

// openTestStore opens a store on an embedded etcd in a fresh directory and
// closes it when the test ends.
func openTestStore(t testing.TB) *etcdStore {
	t.Helper()
	return openStoreIn(t, t.TempDir())
}

func openStoreIn(t testing.TB, dir string) *etcdStore {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), ioTimeout)
	defer cancel()
	s, err := Open(ctx, Config{DataDir: dir, Logger: testLogger(), Now: func() time.Time { return testNow }})
	if err != nil {
		t.Fatalf("open store in %s: %v", dir, err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("close store: %v", err)
		}
	})
	return s.(*etcdStore)
}

// testCtx is a context bounded by ioTimeout, cancelled when the test ends.
func testCtx(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), ioTimeout)
	t.Cleanup(cancel)
	return ctx
}

// svc is a Service with one port.
func svc(namespace, name string, port int32) *corev1.Service {
	return &corev1.Service{
		ObjectMeta: metav1.ObjectMeta{Namespace: namespace, Name: name, Labels: map[string]string{"app": name}},
		Spec:       corev1.ServiceSpec{Ports: []corev1.ServicePort{{Name: "http", Port: port}}},
	}
}

// mustCreate creates obj or fails the test.
func mustCreate(t testing.TB, s Interface, r *resource.Info, obj *corev1.Service) *corev1.Service {
	t.Helper()
	if err := s.Create(testCtx(t), r, obj); err != nil {
		t.Fatalf("create %s/%s: %v", obj.Namespace, obj.Name, err)
	}
	return obj
}

// mustGet reads a Service or fails the test.
func mustGet(t testing.TB, s Interface, namespace, name string) *corev1.Service {
	t.Helper()
	got := &corev1.Service{}
	if err := s.Get(testCtx(t), svcs, namespace, name, got); err != nil {
		t.Fatalf("get %s/%s: %v", namespace, name, err)
	}
	return got
}

// revision returns the store's revision or fails the test.
func revision(t testing.TB, s Interface) int64 {
	t.Helper()
	rev, err := s.Revision(testCtx(t))
	if err != nil {
		t.Fatalf("revision: %v", err)
	}
	return rev
}

// compact compacts the store's history up to its current revision.
func compact(t testing.TB, s *etcdStore) int64 {
	t.Helper()
	rev := revision(t, s)
	if _, err := s.client.Compact(testCtx(t), rev); err != nil {
		t.Fatalf("compact at %d: %v", rev, err)
	}
	return rev
}
