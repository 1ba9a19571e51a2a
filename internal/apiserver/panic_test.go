package apiserver

import (
	"context"
	"errors"
	"testing"

	"k8s.io/apimachinery/pkg/runtime"

	"vigil.dev/vigil/internal/resource"
	"vigil.dev/vigil/internal/store"
)

// faultyStore panics on reading an object named "boom" and fails Revision
// when down is set; everything else is the real store.
type faultyStore struct {
	store.Interface
	down bool
}

func (f *faultyStore) Get(ctx context.Context, r *resource.Info, ns, name string, into runtime.Object) error {
	if name == "boom" {
		panic("the store exploded")
	}
	return f.Interface.Get(ctx, r, ns, name, into)
}

func (f *faultyStore) Revision(ctx context.Context) (int64, error) {
	if f.down {
		return 0, errors.New("etcd is gone")
	}
	return f.Interface.Revision(ctx)
}

func TestHandlerPanicIs500AndServingGoesOn(t *testing.T) {
	e := newEnv(t, func(c *Config) { c.Store = &faultyStore{Interface: sharedStore} })
	st := e.do("GET", e.vmPath("boom"), "", nil).must(t, 500).status(t)
	if st.Reason != "InternalError" {
		t.Errorf("reason %q", st.Reason)
	}
	if n := e.logs.count("PANIC"); n != 1 {
		t.Errorf("%d PANIC log records, want 1", n)
	}
	e.do("GET", e.vmPath("fine"), "", nil).must(t, 404)
	e.do("GET", "/healthz", "", nil).must(t, 200)
}

func TestReadyzFollowsTheStore(t *testing.T) {
	fs := &faultyStore{Interface: sharedStore, down: true}
	e := newEnv(t, func(c *Config) { c.Store = fs })
	e.do("GET", "/readyz", "", nil).must(t, 503)
	e.do("GET", "/livez", "", nil).must(t, 200)
}
