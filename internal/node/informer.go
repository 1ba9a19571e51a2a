package node

import (
	"context"
	"fmt"
	"log/slog"
	"strconv"
	"sync"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/utils/clock"

	v1 "vigil.dev/vigil/api/v1"
	"vigil.dev/vigil/internal/client"
	"vigil.dev/vigil/internal/controller/informer"
	"vigil.dev/vigil/internal/resource"
)

// vmiCache holds the last seen version of every VMI, by UID and by name.
type vmiCache struct {
	mu     sync.RWMutex
	byUID  map[types.UID]*v1.VirtualMachineInstance
	byName map[string]types.UID
}

func newVMICache() *vmiCache {
	return &vmiCache{byUID: map[types.UID]*v1.VirtualMachineInstance{}, byName: map[string]types.UID{}}
}

// get returns a copy of the cached VMI, or nil.
func (c *vmiCache) get(uid types.UID) *v1.VirtualMachineInstance {
	c.mu.RLock()
	defer c.mu.RUnlock()
	if vmi, ok := c.byUID[uid]; ok {
		return vmi.DeepCopy()
	}
	return nil
}

// lookup returns a copy of the VMI called namespace/name, or nil.
func (c *vmiCache) lookup(namespace, name string) *v1.VirtualMachineInstance {
	c.mu.RLock()
	defer c.mu.RUnlock()
	if uid, ok := c.byName[namespace+"/"+name]; ok {
		return c.byUID[uid].DeepCopy()
	}
	return nil
}

// putIfNewer stores vmi unless the cache holds a later version of it
// (resourceVersions are etcd revisions: numbers that only grow).
func (c *vmiCache) putIfNewer(vmi *v1.VirtualMachineInstance) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if old, ok := c.byUID[vmi.UID]; ok && newerVersion(old.ResourceVersion, vmi.ResourceVersion) {
		return
	}
	c.byUID[vmi.UID] = vmi.DeepCopy()
	c.byName[key(vmi)] = vmi.UID
}

// newerVersion reports whether resourceVersion a is later than b; when
// either is not a number, it is not.
func newerVersion(a, b string) bool {
	x, err1 := strconv.ParseUint(a, 10, 64)
	y, err2 := strconv.ParseUint(b, 10, 64)
	return err1 == nil && err2 == nil && x > y
}

func (c *vmiCache) remove(vmi *v1.VirtualMachineInstance) {
	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.byUID, vmi.UID)
	if c.byName[key(vmi)] == vmi.UID {
		delete(c.byName, key(vmi))
	}
}

// replace makes the cache hold exactly items and returns every UID that
// was or is in it, so that each is reconciled (deletions missed while the
// watch was down included).
func (c *vmiCache) replace(items []v1.VirtualMachineInstance) []types.UID {
	c.mu.Lock()
	defer c.mu.Unlock()
	var touched []types.UID
	for uid := range c.byUID {
		touched = append(touched, uid)
	}
	c.byUID = make(map[types.UID]*v1.VirtualMachineInstance, len(items))
	c.byName = make(map[string]types.UID, len(items))
	for i := range items {
		vmi := &items[i]
		if _, seen := c.byUID[vmi.UID]; !seen {
			touched = append(touched, vmi.UID)
		}
		c.byUID[vmi.UID] = vmi
		c.byName[key(vmi)] = vmi.UID
	}
	return dedupe(touched)
}

func dedupe(uids []types.UID) []types.UID {
	seen := make(map[types.UID]bool, len(uids))
	out := uids[:0]
	for _, u := range uids {
		if !seen[u] {
			seen[u] = true
			out = append(out, u)
		}
	}
	return out
}

// vmiInformer lists and watches VMIs into the cache and hands every UID that
// changed to notify. A watch that ends is resumed from the last version
// seen; one that fails (410 Gone included) is replaced by a fresh list.
type vmiInformer struct {
	api    API
	cache  *vmiCache
	notify func(types.UID)
	clock  clock.Clock
	retry  time.Duration
	log    *slog.Logger
}

// run lists and watches until ctx ends.
func (i *vmiInformer) run(ctx context.Context) {
	lw := informer.ListWatch{API: i.api, Res: resource.VirtualMachineInstances, List: i.list, Handle: i.handle,
		Clock: i.clock, Retry: i.retry, Log: i.log.With("resource", resource.VirtualMachineInstances.Resource)}
	lw.Run(ctx)
}

func (i *vmiInformer) list(ctx context.Context) (string, error) {
	var list v1.VirtualMachineInstanceList
	if err := i.api.List(ctx, resource.VirtualMachineInstances, "", client.ListOptions{}, &list); err != nil {
		return "", fmt.Errorf("listing virtualmachineinstances: %w", err)
	}
	for _, uid := range i.cache.replace(list.Items) {
		i.notify(uid)
	}
	return list.ResourceVersion, nil
}

func (i *vmiInformer) handle(ev watch.Event) (string, error) {
	if ev.Type == watch.Error {
		return "", fmt.Errorf("watching virtualmachineinstances: %w", apierrors.FromObject(ev.Object))
	}
	vmi, ok := ev.Object.(*v1.VirtualMachineInstance)
	if !ok {
		if ev.Type == watch.Bookmark {
			return "", nil
		}
		return "", fmt.Errorf("a virtualmachineinstances watch event carries a %T", ev.Object)
	}
	switch ev.Type {
	case watch.Bookmark:
		return vmi.ResourceVersion, nil
	case watch.Deleted:
		i.cache.remove(vmi)
	default:
		i.cache.putIfNewer(vmi)
	}
	i.notify(vmi.UID)
	return vmi.ResourceVersion, nil
}
