package informer

import (
	"cmp"
	"slices"
	"strings"
	"sync"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/watch"
)

// Object is a typed API object such as *corev1.Service.
type Object interface {
	runtime.Object
	metav1.Object
}

// Key is "namespace/name", the key of an object in a Cache and a Queue.
func Key(o metav1.Object) string { return o.GetNamespace() + "/" + o.GetName() }

// Cache holds the last known state of every object of one kind, by Key.
// Objects in it are shared: callers must copy before changing one.
type Cache[T Object] struct {
	mu   sync.RWMutex
	objs map[string]T
}

// NewCache makes an empty cache.
func NewCache[T Object]() *Cache[T] { return &Cache[T]{objs: map[string]T{}} }

// Get returns the object of a key.
func (c *Cache[T]) Get(key string) (T, bool) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	o, ok := c.objs[key]
	return o, ok
}

// Len is the number of objects.
func (c *Cache[T]) Len() int {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return len(c.objs)
}

// List returns the objects of a namespace ("" = all), sorted by
// namespace, then name. The comparison builds no key strings: the
// Services dataplane lists a namespace's VMIs on every readiness change.
func (c *Cache[T]) List(namespace string) []T {
	c.mu.RLock()
	out := make([]T, 0, len(c.objs))
	for _, o := range c.objs {
		if namespace == "" || o.GetNamespace() == namespace {
			out = append(out, o)
		}
	}
	c.mu.RUnlock()
	slices.SortFunc(out, func(a, b T) int {
		return cmp.Or(strings.Compare(a.GetNamespace(), b.GetNamespace()), strings.Compare(a.GetName(), b.GetName()))
	})
	return out
}

// Replace installs a fresh list and returns the objects that are new,
// changed (another resourceVersion) or gone, the gone ones as last known.
func (c *Cache[T]) Replace(items []T) []T {
	c.mu.Lock()
	defer c.mu.Unlock()
	var touched []T
	fresh := make(map[string]T, len(items))
	for _, o := range items {
		k := Key(o)
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

// Apply records one watch event. A late delete of an older object of the
// same name does not drop its successor.
func (c *Cache[T]) Apply(t watch.EventType, o T) {
	c.mu.Lock()
	defer c.mu.Unlock()
	k := Key(o)
	if t == watch.Deleted {
		if cur, ok := c.objs[k]; ok && cur.GetUID() == o.GetUID() {
			delete(c.objs, k)
		}
		return
	}
	c.objs[k] = o
}

// AddIfAbsent records an object a writer just created, so the next pass
// sees it before the watch reports it; it never overwrites what the watch
// delivered already.
func (c *Cache[T]) AddIfAbsent(o T) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.objs[Key(o)]; !ok {
		c.objs[Key(o)] = o
	}
}

// Swap replaces the cached object with o when the cache still holds the
// version a writer acted on (same UID and resourceVersion as was): the
// writer's answer is newer than what the watch has delivered so far, and
// the next pass must not act on stale data.
func (c *Cache[T]) Swap(was metav1.Object, o T) {
	c.mu.Lock()
	defer c.mu.Unlock()
	k := Key(was)
	if cur, ok := c.objs[k]; ok && cur.GetUID() == was.GetUID() && cur.GetResourceVersion() == was.GetResourceVersion() {
		c.objs[k] = o
	}
}

// Forget drops the object of a key when it is still the version was
// (after the writer deleted it).
func (c *Cache[T]) Forget(was metav1.Object) {
	c.mu.Lock()
	defer c.mu.Unlock()
	k := Key(was)
	if cur, ok := c.objs[k]; ok && cur.GetUID() == was.GetUID() && cur.GetResourceVersion() == was.GetResourceVersion() {
		delete(c.objs, k)
	}
}
