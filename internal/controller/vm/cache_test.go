package vm

import (
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/watch"

	v1 "vigil.dev/vigil/api/v1"
)

func cachedVMI(uid types.UID, rv string) *v1.VirtualMachineInstance {
	return &v1.VirtualMachineInstance{ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Name: "a", UID: uid, ResourceVersion: rv}}
}

func TestCacheLateDeleteKeepsTheSuccessor(t *testing.T) {
	c := newCache[*v1.VirtualMachineInstance]()
	c.apply(watch.Added, cachedVMI("new", "5"))
	c.apply(watch.Deleted, cachedVMI("old", "4"))
	if got, ok := c.get("ns/a"); !ok || got.UID != "new" {
		t.Fatalf("cache %v %v, want the new object kept", got, ok)
	}
	c.apply(watch.Deleted, cachedVMI("new", "6"))
	if _, ok := c.get("ns/a"); ok {
		t.Fatal("deleted object kept")
	}
}

func TestCacheOwnWritesNeverOverwriteTheWatch(t *testing.T) {
	c := newCache[*v1.VirtualMachineInstance]()
	c.apply(watch.Added, cachedVMI("u", "7"))
	c.addIfAbsent(cachedVMI("u", "5"))
	c.swap(cachedVMI("u", "6"), cachedVMI("u", "8-marked"))
	if got, _ := c.get("ns/a"); got.ResourceVersion != "7" {
		t.Fatalf("resourceVersion %s, want the watched 7", got.ResourceVersion)
	}
	c.swap(cachedVMI("u", "7"), cachedVMI("u", "8"))
	if got, _ := c.get("ns/a"); got.ResourceVersion != "8" {
		t.Fatalf("swap of the current version did not apply: %s", got.ResourceVersion)
	}
}

func TestCacheReplaceReportsChanges(t *testing.T) {
	c := newCache[*v1.VirtualMachineInstance]()
	c.apply(watch.Added, cachedVMI("u", "1"))
	same := &v1.VirtualMachineInstance{ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Name: "same", ResourceVersion: "2"}}
	c.apply(watch.Added, same)
	gone := &v1.VirtualMachineInstance{ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Name: "gone", ResourceVersion: "3"}}
	c.apply(watch.Added, gone)
	touched := c.replace([]*v1.VirtualMachineInstance{cachedVMI("u", "9"), same.DeepCopy()})
	names := map[string]bool{}
	for _, o := range touched {
		names[o.Name] = true
	}
	if len(touched) != 2 || !names["a"] || !names["gone"] {
		t.Fatalf("touched %v, want the changed and the gone object", names)
	}
}
