package node

import (
	"fmt"
	"sync"
	"time"

	"k8s.io/apimachinery/pkg/types"

	v1 "vigil.dev/vigil/api/v1"
	"vigil.dev/vigil/internal/probe"
	"vigil.dev/vigil/internal/probe/prober"
)

// fakeProbes records what the agent tells the probe engine and answers
// Status with what the test sets.
type fakeProbes struct {
	mu     sync.Mutex
	calls  []string
	added  []addedVMI
	status map[types.UID][]probe.ProbeStatus
}

// addedVMI is one AddVMI call.
type addedVMI struct {
	vmi       *v1.VirtualMachineInstance
	target    probe.Target
	started   time.Time
	agent     func() (prober.Agent, error)
	restarted bool
}

var _ probeManager = (*fakeProbes)(nil)

func newFakeProbes() *fakeProbes {
	return &fakeProbes{status: map[types.UID][]probe.ProbeStatus{}}
}

func (f *fakeProbes) record(format string, args ...any) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, fmt.Sprintf(format, args...))
}

func (f *fakeProbes) AddVMI(vmi *v1.VirtualMachineInstance, target probe.Target, started time.Time,
	agent func() (prober.Agent, error), restarted bool) {
	f.record("add %s", vmi.UID)
	f.mu.Lock()
	defer f.mu.Unlock()
	f.added = append(f.added, addedVMI{vmi, target, started, agent, restarted})
}

func (f *fakeProbes) UpdateVMI(vmi *v1.VirtualMachineInstance) {
	f.record("update %s %s", vmi.UID, vmi.Annotations[v1.PauseGuestAgentProbesAnnotation])
}

func (f *fakeProbes) Stopping(uid types.UID) { f.record("stopping %s", uid) }
func (f *fakeProbes) Pause(uid types.UID)    { f.record("pause %s", uid) }
func (f *fakeProbes) Unpause(uid types.UID)  { f.record("unpause %s", uid) }
func (f *fakeProbes) RemoveVMI(uid types.UID) {
	f.record("remove %s", uid)
}
func (f *fakeProbes) Stop() { f.record("stop") }

func (f *fakeProbes) Status(uid types.UID) []probe.ProbeStatus {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]probe.ProbeStatus(nil), f.status[uid]...)
}

func (f *fakeProbes) setStatus(uid types.UID, s ...probe.ProbeStatus) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.status[uid] = s
}

// took returns the calls so far and forgets them.
func (f *fakeProbes) took() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := f.calls
	f.calls = nil
	return out
}
