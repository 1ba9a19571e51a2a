package framework

import (
	"bufio"
	"context"
	"encoding/json"
	"net/http"
	"sync"
	"time"

	v1 "vigil.dev/vigil/api/v1"
)

// VMIRecorder keeps every version of every VMI of a namespace, read from a
// watch, so that a test can ask how a VMI ended even after the controller
// replaced it (under Always that takes milliseconds).
type VMIRecorder struct {
	mu       sync.Mutex
	versions []v1.VirtualMachineInstance
	seen     []time.Time // when each version arrived
}

// RecordVMIs starts watching the namespace's VMIs until the test ends.
// It survives daemon restarts by watching again.
func (d *Daemon) RecordVMIs(ns string) *VMIRecorder {
	r := &VMIRecorder{}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	d.t.Cleanup(func() { cancel(); <-done })
	go func() {
		defer close(done)
		for ctx.Err() == nil {
			r.watch(ctx, d, ns)
			select {
			case <-ctx.Done():
			case <-time.After(200 * time.Millisecond):
			}
		}
	}()
	return r
}

func (r *VMIRecorder) watch(ctx context.Context, d *Daemon, ns string) {
	req, _ := http.NewRequestWithContext(ctx, "GET",
		"http://vigil/apis/kubevirt.io/v1/namespaces/"+ns+"/virtualmachineinstances?watch=true", nil)
	c := d.HTTPClient()
	c.Timeout = 0
	resp, err := c.Do(req)
	if err != nil {
		return
	}
	defer resp.Body.Close()
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 1<<20), 16<<20)
	for sc.Scan() {
		var ev struct {
			Type   string                    `json:"type"`
			Object v1.VirtualMachineInstance `json:"object"`
		}
		if json.Unmarshal(sc.Bytes(), &ev) != nil || ev.Object.UID == "" {
			continue
		}
		r.mu.Lock()
		r.versions = append(r.versions, ev.Object)
		r.seen = append(r.seen, time.Now())
		r.mu.Unlock()
	}
}

// Find returns the latest recorded version of the VMI with uid that
// satisfies cond, or nil.
func (r *VMIRecorder) Find(uid string, cond func(*v1.VirtualMachineInstance) bool) *v1.VirtualMachineInstance {
	r.mu.Lock()
	defer r.mu.Unlock()
	for i := len(r.versions) - 1; i >= 0; i-- {
		v := &r.versions[i]
		if string(v.UID) == uid && cond(v) {
			out := v.DeepCopy()
			return out
		}
	}
	return nil
}

// FirstSeen is when the first version of the VMI with uid satisfying cond
// arrived (zero when none did).
func (r *VMIRecorder) FirstSeen(uid string, cond func(*v1.VirtualMachineInstance) bool) time.Time {
	r.mu.Lock()
	defer r.mu.Unlock()
	for i := range r.versions {
		if string(r.versions[i].UID) == uid && cond(&r.versions[i]) {
			return r.seen[i]
		}
	}
	return time.Time{}
}

// Last returns the latest recorded version of the VMI with uid, or nil.
func (r *VMIRecorder) Last(uid string) *v1.VirtualMachineInstance {
	return r.Find(uid, func(*v1.VirtualMachineInstance) bool { return true })
}

// WaitEnded waits until the VMI with uid has been seen in a final phase and
// returns that version.
func (r *VMIRecorder) WaitEnded(d *Daemon, uid string, timeout time.Duration) *v1.VirtualMachineInstance {
	d.t.Helper()
	var got *v1.VirtualMachineInstance
	Eventually(d.t, timeout, "VMI "+uid+" to end", func() (bool, string) {
		got = r.Find(uid, func(v *v1.VirtualMachineInstance) bool { return v.Status.Phase.IsFinal() })
		if got != nil {
			return true, ""
		}
		if last := r.Last(uid); last != nil {
			return false, DescribeVMI(last)
		}
		return false, "never seen"
	})
	return got
}
