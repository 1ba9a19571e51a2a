package node

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"k8s.io/apimachinery/pkg/types"

	"vigil.dev/vigil/internal/probe"
	"vigil.dev/vigil/internal/probe/prober"
	"vigil.dev/vigil/internal/qemu"
	"vigil.dev/vigil/internal/qga"
)

// vmiState is what the agent holds for one VMI whose QEMU it runs or has
// just seen end. The worker owns the life of the record; the monitor
// goroutines write only obs, under mu.
type vmiState struct {
	uid       types.UID
	namespace string
	name      string
	runDir    string
	log       *slog.Logger

	// proc is the QEMU; nil for an orphan (alive, not reattached) or once
	// only a final status is left to write.
	proc  *qemu.Process
	agent *qga.Client
	// net is the network the node gave the VMI; nil when it has none.
	net *netInfo
	// watchdogBase is status.watchdog.firings when QEMU was attached.
	watchdogBase int32
	// stopMonitors ends the monitor and guest agent goroutines.
	stopMonitors context.CancelFunc
	monitorsDone sync.WaitGroup

	mu          sync.Mutex
	obs         observation
	intent      stopIntent
	stopStarted bool
	// orphan: QEMU lives but its QMP did not answer at start-up.
	orphan bool
	// final is the settled end, waiting to be written.
	final *final
	// lastProbe is the last probe result of each kind (probeTraced).
	lastProbe map[probe.Kind]prober.Result
	// probesWritten is when status.probes was last written.
	probesWritten time.Time
	// shutdownWatched: a watchdog "shutdown" is being followed (one at a
	// time, however often the device fires).
	shutdownWatched bool
}

// watchShutdownOnce claims the following of a watchdog shutdown; false when
// one is already followed.
func (s *vmiState) watchShutdownOnce() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.shutdownWatched {
		return false
	}
	s.shutdownWatched = true
	return true
}

func (s *vmiState) shutdownWatchDone() {
	s.mu.Lock()
	s.shutdownWatched = false
	s.mu.Unlock()
}

func (s *vmiState) probesWrittenAt() time.Time {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.probesWritten
}

func (s *vmiState) setProbesWritten(at time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if at.After(s.probesWritten) {
		s.probesWritten = at
	}
}

func (s *vmiState) observation() observation {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.obs
}

// update changes the observation under the lock and reports whether fn
// said it changed anything.
func (s *vmiState) update(fn func(*observation) bool) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return fn(&s.obs)
}

// process is the held QEMU, or nil. Goroutines other than the VMI's worker
// read it through here: the worker drops it once QEMU has ended.
func (s *vmiState) process() *qemu.Process {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.proc
}

// running returns the held QEMU if it has not ended, else nil.
func (s *vmiState) running() *qemu.Process {
	if p := s.process(); p != nil && !procExited(p) {
		return p
	}
	return nil
}

// procExited reports whether p is proven gone.
func procExited(p *qemu.Process) bool {
	if p == nil {
		return false
	}
	select {
	case <-p.Exited():
		return true
	default:
		return false
	}
}

// facts fills the state's part of the decision's facts.
func (s *vmiState) facts(f *facts) {
	s.mu.Lock()
	defer s.mu.Unlock()
	f.Held = s.proc != nil
	f.Exited = procExited(s.proc)
	f.StopRequested = s.intent.Reason != ""
	f.FinalPending = s.final != nil
	f.Orphan = s.orphan
}

// detach stops watching the VMI without stopping QEMU (daemon shutdown).
func (s *vmiState) detach() {
	s.endMonitors()
	if s.agent != nil {
		s.agent.Close()
	}
	if s.proc != nil {
		s.proc.Close()
	}
}

// endMonitors stops the goroutines watching the VMI and waits for them.
func (s *vmiState) endMonitors() {
	if s.stopMonitors != nil {
		s.stopMonitors()
	}
	s.monitorsDone.Wait()
}
