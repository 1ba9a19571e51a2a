package store

import (
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"testing"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"

	v1 "vigil.dev/vigil/api/v1"
	"vigil.dev/vigil/internal/resource"
)

func TestCreateGetUpdateDeleteRoundTrip(t *testing.T) {
	s := openTestStore(t)
	ctx := testCtx(t)

	created := mustCreate(t, s, svcs, svc("default", "web", 80))
	if created.UID == "" || created.Generation != 1 || created.ResourceVersion == "" {
		t.Fatalf("create did not set uid/generation/resourceVersion: %+v", created.ObjectMeta)
	}
	if want := metav1.NewTime(testNow.Truncate(1e9)); !created.CreationTimestamp.Equal(&want) {
		t.Fatalf("creationTimestamp = %v, want %v", created.CreationTimestamp, want)
	}
	if created.APIVersion != "v1" || created.Kind != "Service" {
		t.Fatalf("create did not set apiVersion/kind: %q %q", created.APIVersion, created.Kind)
	}

	got := mustGet(t, s, "default", "web")
	if got.UID != created.UID || got.ResourceVersion != created.ResourceVersion || got.Spec.Ports[0].Port != 80 {
		t.Fatalf("get = %+v, want what was created %+v", got, created)
	}

	got.Spec.Ports[0].Port = 8080
	if err := s.Update(ctx, svcs, got); err != nil {
		t.Fatalf("update: %v", err)
	}
	if got.ResourceVersion == created.ResourceVersion {
		t.Fatalf("update kept resourceVersion %s", got.ResourceVersion)
	}
	if again := mustGet(t, s, "default", "web"); again.Spec.Ports[0].Port != 8080 || again.ResourceVersion != got.ResourceVersion {
		t.Fatalf("after update get = port %d rv %s, want 8080 rv %s", again.Spec.Ports[0].Port, again.ResourceVersion, got.ResourceVersion)
	}

	last := &corev1.Service{}
	if err := s.Delete(ctx, svcs, "default", "web", Preconditions{}, last); err != nil {
		t.Fatalf("delete: %v", err)
	}
	if last.Spec.Ports[0].Port != 8080 || last.UID != created.UID {
		t.Fatalf("delete left %+v, want the last state", last)
	}
	if rv, _ := strconv.ParseInt(last.ResourceVersion, 10, 64); rv != revision(t, s) {
		t.Fatalf("deleted object's resourceVersion %s, want the deletion's revision %d", last.ResourceVersion, revision(t, s))
	}
	if err := s.Get(ctx, svcs, "default", "web", &corev1.Service{}); !apierrors.IsNotFound(err) {
		t.Fatalf("get after delete: %v, want NotFound", err)
	}
}

func TestStoredValueIsJSONWithKindAndNoResourceVersion(t *testing.T) {
	s := openTestStore(t)
	vm := &v1.VirtualMachine{ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Name: "vm1"}}
	if err := s.Create(testCtx(t), resource.VirtualMachines, vm); err != nil {
		t.Fatalf("create vm: %v", err)
	}
	resp, err := s.client.Get(testCtx(t), "/vigil/kubevirt.io/virtualmachines/ns/vm1")
	if err != nil || len(resp.Kvs) != 1 {
		t.Fatalf("read raw key: %v (%d keys)", err, len(resp.Kvs))
	}
	var raw struct {
		APIVersion string         `json:"apiVersion"`
		Kind       string         `json:"kind"`
		Metadata   map[string]any `json:"metadata"`
	}
	if err := json.Unmarshal(resp.Kvs[0].Value, &raw); err != nil {
		t.Fatalf("stored value is not JSON: %v", err)
	}
	if raw.APIVersion != "kubevirt.io/v1" || raw.Kind != "VirtualMachine" {
		t.Fatalf("stored apiVersion/kind = %q/%q", raw.APIVersion, raw.Kind)
	}
	if _, ok := raw.Metadata["resourceVersion"]; ok {
		t.Fatalf("stored metadata has a resourceVersion: %v", raw.Metadata)
	}
}

func TestCreateAlreadyExists(t *testing.T) {
	s := openTestStore(t)
	first := mustCreate(t, s, svcs, svc("default", "web", 80))
	err := s.Create(testCtx(t), svcs, svc("default", "web", 81))
	if !apierrors.IsAlreadyExists(err) {
		t.Fatalf("second create: %v, want AlreadyExists", err)
	}
	if got := mustGet(t, s, "default", "web"); got.UID != first.UID || got.Spec.Ports[0].Port != 80 {
		t.Fatalf("failed create changed the object: %+v", got)
	}
}

func TestMissingObjectIsNotFound(t *testing.T) {
	s := openTestStore(t)
	ctx := testCtx(t)
	noop := func(cur runtime.Object) (runtime.Object, error) { return cur, nil }
	for name, err := range map[string]error{
		"get":               s.Get(ctx, svcs, "default", "nope", &corev1.Service{}),
		"update":            s.Update(ctx, svcs, svc("default", "nope", 80)),
		"guaranteed update": s.GuaranteedUpdate(ctx, svcs, "default", "nope", &corev1.Service{}, noop),
		"delete":            s.Delete(ctx, svcs, "default", "nope", Preconditions{}, &corev1.Service{}),
	} {
		if !apierrors.IsNotFound(err) {
			t.Errorf("%s: %v, want NotFound", name, err)
		}
	}
}

func TestUpdateWithStaleResourceVersionConflicts(t *testing.T) {
	s := openTestStore(t)
	stale := mustCreate(t, s, svcs, svc("default", "web", 80))
	fresh := mustGet(t, s, "default", "web")
	fresh.Spec.Ports[0].Port = 81
	if err := s.Update(testCtx(t), svcs, fresh); err != nil {
		t.Fatalf("update: %v", err)
	}
	stale.Spec.Ports[0].Port = 82
	err := s.Update(testCtx(t), svcs, stale)
	if !apierrors.IsConflict(err) {
		t.Fatalf("update with stale resourceVersion: %v, want Conflict", err)
	}
	if got := mustGet(t, s, "default", "web"); got.Spec.Ports[0].Port != 81 {
		t.Fatalf("conflicting update was stored: port %d", got.Spec.Ports[0].Port)
	}
}

func TestUpdateKeepsIdentityAndSkipsNoOps(t *testing.T) {
	s := openTestStore(t)
	created := mustCreate(t, s, svcs, svc("default", "web", 80))
	upd := svc("default", "web", 80) // no resourceVersion: unconditional
	upd.UID = "forged"
	upd.CreationTimestamp = metav1.Unix(1, 0)
	upd.Generation = 1
	if err := s.Update(testCtx(t), svcs, upd); err != nil {
		t.Fatalf("update: %v", err)
	}
	if upd.UID != created.UID || !upd.CreationTimestamp.Equal(&created.CreationTimestamp) {
		t.Fatalf("update changed identity: uid %s ts %v", upd.UID, upd.CreationTimestamp)
	}
	if upd.ResourceVersion != created.ResourceVersion {
		t.Fatalf("an update that changes nothing wrote a new revision %s (was %s)", upd.ResourceVersion, created.ResourceVersion)
	}
}

// TestConcurrentUpdatesExactlyOneWins races two writers holding the same
// resourceVersion; each write changes two fields together.
func TestConcurrentUpdatesExactlyOneWins(t *testing.T) {
	s := openTestStore(t)
	mustCreate(t, s, svcs, svc("default", "web", 1))
	for round := range 10 {
		base := mustGet(t, s, "default", "web")
		errs := make([]error, 2)
		var wg sync.WaitGroup
		start := make(chan struct{})
		for i := range 2 {
			mine := base.DeepCopy()
			mine.Spec.Ports[0].Port = int32(1000*(i+1) + round)
			mine.Labels["writer"] = strconv.Itoa(i)
			wg.Go(func() {
				<-start
				errs[i] = s.Update(testCtx(t), svcs, mine)
			})
		}
		close(start)
		wg.Wait()
		winner := -1
		for i, err := range errs {
			switch {
			case err == nil && winner == -1:
				winner = i
			case err == nil:
				t.Fatalf("round %d: both updates succeeded", round)
			case !apierrors.IsConflict(err):
				t.Fatalf("round %d: writer %d: %v, want Conflict", round, i, err)
			}
		}
		if winner == -1 {
			t.Fatalf("round %d: no update succeeded: %v", round, errs)
		}
		got := mustGet(t, s, "default", "web")
		if got.Labels["writer"] != strconv.Itoa(winner) || got.Spec.Ports[0].Port != int32(1000*(winner+1)+round) {
			t.Fatalf("round %d: stored writer %s port %d, want writer %d's write", round, got.Labels["writer"], got.Spec.Ports[0].Port, winner)
		}
	}
}

func TestGuaranteedUpdateUnderContentionAppliesEveryIncrement(t *testing.T) {
	s := openTestStore(t)
	mustCreate(t, s, svcs, svc("default", "counter", 1))
	const writers, each = 4, 15
	increment := func(cur runtime.Object) (runtime.Object, error) {
		sv := cur.(*corev1.Service)
		n, _ := strconv.Atoi(sv.Labels["n"])
		sv.Labels["n"] = strconv.Itoa(n + 1)
		return sv, nil
	}
	var wg sync.WaitGroup
	errs := make(chan error, writers*each)
	for range writers {
		wg.Go(func() {
			for range each {
				errs <- s.GuaranteedUpdate(testCtx(t), svcs, "default", "counter", &corev1.Service{}, increment)
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatalf("guaranteed update: %v", err)
		}
	}
	if got := mustGet(t, s, "default", "counter"); got.Labels["n"] != strconv.Itoa(writers*each) {
		t.Fatalf("counter = %s, want %d", got.Labels["n"], writers*each)
	}
}

func TestGuaranteedUpdateResultAndAbort(t *testing.T) {
	s := openTestStore(t)
	created := mustCreate(t, s, svcs, svc("default", "web", 80))
	into := &corev1.Service{}
	err := s.GuaranteedUpdate(testCtx(t), svcs, "default", "web", into, func(cur runtime.Object) (runtime.Object, error) {
		sv := cur.(*corev1.Service)
		if sv.ResourceVersion != created.ResourceVersion {
			return nil, fmt.Errorf("tryUpdate got resourceVersion %s, want %s", sv.ResourceVersion, created.ResourceVersion)
		}
		sv.Spec.Ports[0].Port = 90
		return sv, nil
	})
	if err != nil {
		t.Fatalf("guaranteed update: %v", err)
	}
	if into.Spec.Ports[0].Port != 90 || into.UID != created.UID || into.ResourceVersion == created.ResourceVersion {
		t.Fatalf("into = %+v, want the stored result", into)
	}
	if got := mustGet(t, s, "default", "web"); got.ResourceVersion != into.ResourceVersion {
		t.Fatalf("into has resourceVersion %s, store has %s", into.ResourceVersion, got.ResourceVersion)
	}

	abort := errors.New("no thanks")
	err = s.GuaranteedUpdate(testCtx(t), svcs, "default", "web", &corev1.Service{}, func(cur runtime.Object) (runtime.Object, error) {
		return nil, abort
	})
	if err != abort {
		t.Fatalf("aborted guaranteed update returned %v, want tryUpdate's error as it is", err)
	}
}

func TestDeletePreconditions(t *testing.T) {
	s := openTestStore(t)
	created := mustCreate(t, s, svcs, svc("default", "web", 80))
	wrongUID, wrongRV := types.UID("other"), "1"
	for _, pre := range []Preconditions{{UID: &wrongUID}, {ResourceVersion: &wrongRV}} {
		if err := s.Delete(testCtx(t), svcs, "default", "web", pre, &corev1.Service{}); !apierrors.IsConflict(err) {
			t.Fatalf("delete with failing precondition %+v: %v, want Conflict", pre, err)
		}
	}
	mustGet(t, s, "default", "web")
	pre := Preconditions{UID: &created.UID, ResourceVersion: &created.ResourceVersion}
	if err := s.Delete(testCtx(t), svcs, "default", "web", pre, nil); err != nil {
		t.Fatalf("delete with holding preconditions: %v", err)
	}
}

func TestNamespaceIsolation(t *testing.T) {
	s := openTestStore(t)
	a := mustCreate(t, s, svcs, svc("a", "web", 80))
	b := mustCreate(t, s, svcs, svc("b", "web", 90))
	if a.UID == b.UID {
		t.Fatal("two objects got the same uid")
	}
	if got := mustGet(t, s, "a", "web"); got.Spec.Ports[0].Port != 80 {
		t.Fatalf("namespace a's web has port %d", got.Spec.Ports[0].Port)
	}
	if err := s.Delete(testCtx(t), svcs, "a", "web", Preconditions{}, nil); err != nil {
		t.Fatalf("delete a/web: %v", err)
	}
	if got := mustGet(t, s, "b", "web"); got.UID != b.UID {
		t.Fatalf("deleting a/web touched b/web: %+v", got)
	}
}

func TestWrongGoTypeIsRefused(t *testing.T) {
	s := openTestStore(t)
	mustCreate(t, s, svcs, svc("default", "web", 80))
	err := s.Get(testCtx(t), svcs, "default", "web", &corev1.Endpoints{})
	if !apierrors.IsInternalError(err) {
		t.Fatalf("get into the wrong type: %v, want InternalError", err)
	}
}
