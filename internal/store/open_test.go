package store

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
)

func TestTwoStoresSideBySide(t *testing.T) {
	a := openTestStore(t)
	b := openTestStore(t)
	mustCreate(t, a, svcs, svc("ns", "only-in-a", 80))
	mustCreate(t, b, svcs, svc("ns", "only-in-b", 80))
	if err := b.Get(testCtx(t), svcs, "ns", "only-in-a", &corev1.Service{}); !apierrors.IsNotFound(err) {
		t.Fatalf("store b sees store a's object: %v", err)
	}
	if !strings.HasPrefix(a.embedded.clientURL, "unix://") {
		t.Fatalf("embedded etcd listens on %s, want a unix socket", a.embedded.clientURL)
	}
}

func TestReopenKeepsObjects(t *testing.T) {
	dir := t.TempDir()
	ctx := context.Background()
	s, err := Open(ctx, Config{DataDir: dir, Logger: testLogger()})
	if err != nil {
		t.Fatalf("open: %v", err)
	}
	created := mustCreate(t, s, svcs, svc("ns", "web", 80))
	if err := s.Close(); err != nil {
		t.Fatalf("close: %v", err)
	}
	again := openStoreIn(t, dir)
	if got := mustGet(t, again, "ns", "web"); got.UID != created.UID || got.ResourceVersion != created.ResourceVersion {
		t.Fatalf("after reopen got %+v, want %+v", got.ObjectMeta, created.ObjectMeta)
	}
}

func TestExternalEndpointsWithOwnPrefix(t *testing.T) {
	server := openTestStore(t)
	mustCreate(t, server, svcs, svc("ns", "default-prefix", 80))
	ext, err := Open(testCtx(t), Config{Endpoints: []string{server.embedded.clientURL}, Prefix: "/other/", Logger: testLogger()})
	if err != nil {
		t.Fatalf("open with endpoints: %v", err)
	}
	t.Cleanup(func() { ext.Close() })
	mustCreate(t, ext, svcs, svc("ns", "own-prefix", 80))
	list := &corev1.ServiceList{}
	if err := ext.List(testCtx(t), svcs, "", ListOptions{}, list); err != nil {
		t.Fatalf("list: %v", err)
	}
	if got := names(list); len(got) != 1 || got[0] != "ns/own-prefix" {
		t.Fatalf("store with prefix /other/ lists %v", got)
	}
	if ext.(*etcdStore).embedded != nil {
		t.Fatal("a store with endpoints started its own etcd")
	}
}

func TestLongDataDirFallsBackToLoopback(t *testing.T) {
	dir := filepath.Join(t.TempDir(), strings.Repeat("d", 100))
	s := openStoreIn(t, dir)
	if !strings.HasPrefix(s.embedded.clientURL, "http://127.0.0.1:") {
		t.Fatalf("client URL %s, want loopback", s.embedded.clientURL)
	}
	mustCreate(t, s, svcs, svc("ns", "web", 80))
}

func TestOpenRefusesBadConfig(t *testing.T) {
	for name, cfg := range map[string]Config{
		"no data dir":     {},
		"relative prefix": {DataDir: t.TempDir(), Prefix: "vigil/"},
		"open prefix":     {DataDir: t.TempDir(), Prefix: "/vigil"},
	} {
		if s, err := Open(context.Background(), cfg); err == nil {
			s.Close()
			t.Errorf("%s: Open accepted %+v", name, cfg)
		}
	}
}
