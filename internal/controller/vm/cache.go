package vm

import (
	"sync"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/watch"
)

// object is a typed API object: *v1.VirtualMachine or *v1.VirtualMachineInstance.
type object interface {
	runtime.Object
	metav1.Object
}

// objectKey is "namespace/name".
func objectKey(o metav1.Object) string { return o.GetNamespace() + "/" + o.GetName() }

// cache holds the last known state of every object of one kind, by key.
// Objects in it are shared and must not be modified: copy before changing.
type cache[T object] struct {
	mu   sync.RWMutex
	objs map[string]T
}

func newCache[T object]() *cache[T] { return &cache[T]{objs: map[string]T{}} }

func (c *cache[T]) get(key string) (T, bool) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	o, ok := c.objs[key]
	return o, ok
}

func (c *cache[T]) len() int {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return len(c.objs)
}

// replace installs a fresh list and returns the objects that are new,
// changed (another resourceVersion) or gone, the gone ones as last known.
func (c *cache[T]) replace(items []T) []T {
	c.mu.Lock()
	defer c.mu.Unlock()
	var touched []T
	fresh := make(map[string]T, len(items))
	for _, o := range items {
		k := objectKey(o)
		fresh[k] = o
		if old, ok := c.objs[k]; !ok || old.GetResourceVersion() != o.GetResourceVersion() {
			touched = append(touched, o)
		}
	}
	for k, old := range c.objs {
		if _, ok := fresh[k]; !ok {
			touched = append(touched, old)
		}
	}
	c.objs = fresh
	return touched
}

// apply records one watch event.
func (c *cache[T]) apply(t watch.EventType, o T) {
	c.mu.Lock()
	defer c.mu.Unlock()
	k := objectKey(o)
	if t == watch.Deleted {
		// A late delete of an older object of the same name must not drop
		// its successor.
		if cur, ok := c.objs[k]; ok && cur.GetUID() == o.GetUID() {
			delete(c.objs, k)
		}
		return
	}
	c.objs[k] = o
}

// addIfAbsent records an object the controller just created, so the next
// pass sees it even before the watch reports it. It never overwrites what
// the watch already delivered.
func (c *cache[T]) addIfAbsent(o T) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.objs[objectKey(o)]; !ok {
		c.objs[objectKey(o)] = o
	}
}

// swap replaces the cached object with o when the cache still holds the
// version the controller acted on (same UID and resourceVersion).
func (c *cache[T]) swap(was metav1.Object, o T) {
	c.mu.Lock()
	defer c.mu.Unlock()
	k := objectKey(was)
	if cur, ok := c.objs[k]; ok && cur.GetUID() == was.GetUID() && cur.GetResourceVersion() == was.GetResourceVersion() {
		c.objs[k] = o
	}
}
