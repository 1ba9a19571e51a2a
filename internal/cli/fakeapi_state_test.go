package cli

import (
	"encoding/json"
	"fmt"
	"strconv"
	"testing"
	"time"

	"vigil.dev/vigil/internal/resource"
)

// The fake API's state, as tests set and inspect it.

// put stores an object (as a controller would) and tells the watchers.
func (f *fakeAPI) put(r *resource.Info, obj map[string]any) {
	f.mu.Lock()
	defer f.mu.Unlock()
	md := obj["metadata"].(map[string]any)
	ns, _ := md["namespace"].(string)
	if ns == "" {
		ns = "default"
		md["namespace"] = ns
	}
	if _, ok := md["creationTimestamp"]; !ok {
		md["creationTimestamp"] = f.created.UTC().Format(time.RFC3339)
	}
	obj["apiVersion"], obj["kind"] = r.APIVersion(), r.Kind
	f.rv++
	md["resourceVersion"] = strconv.Itoa(f.rv)
	k := objKey{pathPrefix(r), ns, r.Resource, md["name"].(string)}
	typ := "MODIFIED"
	if _, ok := f.objects[k]; !ok {
		typ = "ADDED"
	}
	raw, _ := json.Marshal(obj)
	f.objects[k] = raw
	f.notify(typ, k, raw)
}

// putRaw stores exact bytes, for passthrough tests.
func (f *fakeAPI) putRaw(r *resource.Info, ns, name string, raw []byte) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.objects[objKey{pathPrefix(r), ns, r.Resource, name}] = raw
}

func (f *fakeAPI) remove(r *resource.Info, ns, name string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	k := objKey{pathPrefix(r), ns, r.Resource, name}
	raw := f.objects[k]
	delete(f.objects, k)
	f.rv++
	f.notify("DELETED", k, raw)
}

func pathPrefix(r *resource.Info) string {
	if r.Group == "" {
		return "/api/" + r.Version
	}
	return "/apis/" + r.Group + "/" + r.Version
}

// requests returns the requests seen so far whose method is one of methods (all when none).
func (f *fakeAPI) requests(methods ...string) []fakeReq {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []fakeReq
	for _, r := range f.reqs {
		if len(methods) == 0 || contains(methods, r.Method) {
			out = append(out, r)
		}
	}
	return out
}

// object decodes a stored object (nil when absent).
func (f *fakeAPI) object(r *resource.Info, ns, name string) map[string]any {
	f.mu.Lock()
	defer f.mu.Unlock()
	raw, ok := f.objects[objKey{pathPrefix(r), ns, r.Resource, name}]
	if !ok {
		return nil
	}
	var m map[string]any
	if err := json.Unmarshal(raw, &m); err != nil {
		panic(fmt.Sprintf("stored object %s: %v", raw, err))
	}
	return m
}

// awaitWatch blocks until a watch request is being served (real I/O: generous deadline).
func (f *fakeAPI) awaitWatch(t *testing.T) {
	t.Helper()
	select {
	case <-f.watchStarted:
	case <-time.After(10 * time.Second):
		t.Fatal("the command never started watching")
	}
}
