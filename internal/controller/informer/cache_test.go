package informer

import (
	"reflect"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/watch"
)

func svc(ns, name, uid, rv string) *corev1.Service {
	return &corev1.Service{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name, UID: types.UID(uid), ResourceVersion: rv}}
}

func keys[T Object](objs []T) []string {
	out := []string{}
	for _, o := range objs {
		out = append(out, Key(o)+"@"+o.GetResourceVersion())
	}
	return out
}

func TestCacheReplaceReportsNewChangedAndGone(t *testing.T) {
	c := NewCache[*corev1.Service]()
	c.Replace([]*corev1.Service{svc("a", "kept", "1", "5"), svc("a", "changed", "2", "5"), svc("b", "gone", "3", "5")})
	touched := c.Replace([]*corev1.Service{svc("a", "kept", "1", "5"), svc("a", "changed", "2", "6"), svc("a", "new", "4", "7")})
	got := map[string]bool{}
	for _, k := range keys(touched) {
		got[k] = true
	}
	want := map[string]bool{"a/changed@6": true, "a/new@7": true, "b/gone@5": true}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("touched %v, want %v", got, want)
	}
	if _, ok := c.Get("b/gone"); ok {
		t.Fatal("b/gone is still cached")
	}
	if got := keys(c.List("a")); !reflect.DeepEqual(got, []string{"a/changed@6", "a/kept@5", "a/new@7"}) {
		t.Fatalf("List(a) = %v", got)
	}
	if c.Len() != 3 || len(c.List("")) != 3 {
		t.Fatalf("Len %d, List(all) %d, want 3", c.Len(), len(c.List("")))
	}
}

func TestCacheListSortsByNamespaceThenName(t *testing.T) {
	c := NewCache[*corev1.Service]()
	c.Replace([]*corev1.Service{svc("a-b", "x", "1", "1"), svc("a", "z", "2", "1"), svc("a", "b", "3", "1"), svc("c", "a", "4", "1")})
	// By key string "a-b/x" would come before "a/b" ('-' < '/').
	if got := keys(c.List("")); !reflect.DeepEqual(got, []string{"a/b@1", "a/z@1", "a-b/x@1", "c/a@1"}) {
		t.Fatalf("List() = %v", got)
	}
}

func TestCacheLateDeleteKeepsTheSuccessor(t *testing.T) {
	c := NewCache[*corev1.Service]()
	c.Apply(watch.Added, svc("a", "x", "new-uid", "9"))
	c.Apply(watch.Deleted, svc("a", "x", "old-uid", "8"))
	if o, ok := c.Get("a/x"); !ok || o.UID != "new-uid" {
		t.Fatalf("a delete of the predecessor dropped the successor: %v %v", o, ok)
	}
	c.Apply(watch.Deleted, svc("a", "x", "new-uid", "10"))
	if _, ok := c.Get("a/x"); ok {
		t.Fatal("deleted object still cached")
	}
}

func TestCacheSwapOnlyReplacesTheVersionActedOn(t *testing.T) {
	c := NewCache[*corev1.Service]()
	was := svc("a", "x", "u", "5")
	c.Apply(watch.Added, was)
	c.Swap(was, svc("a", "x", "u", "6"))
	if o, _ := c.Get("a/x"); o.ResourceVersion != "6" {
		t.Fatalf("swap of the current version ignored: rv %s", o.ResourceVersion)
	}
	c.Swap(was, svc("a", "x", "u", "7")) // was is stale now
	if o, _ := c.Get("a/x"); o.ResourceVersion != "6" {
		t.Fatalf("swap of a stale version applied: rv %s", o.ResourceVersion)
	}
	c.AddIfAbsent(svc("a", "x", "u", "1"))
	if o, _ := c.Get("a/x"); o.ResourceVersion != "6" {
		t.Fatalf("AddIfAbsent overwrote: rv %s", o.ResourceVersion)
	}
	c.Forget(svc("a", "x", "u", "5"))
	if _, ok := c.Get("a/x"); !ok {
		t.Fatal("Forget of a stale version dropped the object")
	}
	c.Forget(svc("a", "x", "u", "6"))
	if _, ok := c.Get("a/x"); ok {
		t.Fatal("Forget of the current version kept the object")
	}
	c.AddIfAbsent(svc("a", "y", "v", "1"))
	if _, ok := c.Get("a/y"); !ok {
		t.Fatal("AddIfAbsent did not add")
	}
}

func TestCacheOwnWritesNeverOverwriteANewerWatchedVersion(t *testing.T) {
	c := NewCache[*corev1.Service]()
	c.Apply(watch.Added, svc("a", "x", "u", "7"))            // the watch is ahead
	c.AddIfAbsent(svc("a", "x", "u", "5"))                   // a create's answer, older
	c.Swap(svc("a", "x", "u", "6"), svc("a", "x", "u", "8")) // acted on 6, not 7
	if o, _ := c.Get("a/x"); o.ResourceVersion != "7" {
		t.Fatalf("resourceVersion %s, want the watched 7", o.ResourceVersion)
	}
	c.Swap(svc("a", "x", "other-uid", "7"), svc("a", "x", "u", "8")) // another object of that name
	if o, _ := c.Get("a/x"); o.ResourceVersion != "7" {
		t.Fatalf("swap across UIDs applied: rv %s", o.ResourceVersion)
	}
}
