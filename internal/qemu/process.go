package qemu

import (
	"errors"
	"log/slog"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
	"k8s.io/apimachinery/pkg/types"

	v1 "vigil.dev/vigil/api/v1"
	"vigil.dev/vigil/internal/qmp"
)

// eventDrainTimeout bounds how long, after the process is known to be
// gone, the watcher waits for the QMP connection to deliver its last
// events. QEMU's exit closes the socket, so the wait normally ends at once;
// the bound only matters if the connection hangs. Death itself is already
// proven (pidfd or wait), so nothing is decided on this timeout.
const eventDrainTimeout = 2 * time.Second

// eventBuffer is how many events wait in Events for the caller (the node
// agent's monitor, which does nothing else); QEMU sends a few per change of
// the VM's state. The buffer lives as long as the VM, 64 bytes a slot.
const eventBuffer = 32

// ExitInfo is how the QEMU process ended, as far as it is known.
type ExitInfo struct {
	// Known is true when this daemon started QEMU and reaped it; after
	// Reattach only the fact of the exit is known, not its status.
	Known bool
	// Code is the exit status, when QEMU exited by itself.
	Code int
	// Signal is the signal that ended QEMU, or 0.
	Signal syscall.Signal
}

// Outcome is what the QMP events told about how the VM ended. QEMU says
// each thing once; the Process records it so the caller need not watch.
type Outcome struct {
	// Exited is true once the process is gone (Exited() is closed).
	Exited bool
	Exit   ExitInfo
	// ShutdownSeen: QEMU announced a SHUTDOWN before exiting.
	ShutdownSeen bool
	// GuestShutdown: that SHUTDOWN came from the guest (it powered itself
	// off, e.g. after the ACPI power button or a watchdog "shutdown").
	GuestShutdown bool
	// ShutdownReason is QEMU's reason: guest-shutdown, host-qmp-quit,
	// host-signal, ...
	ShutdownReason string
	// WatchdogFirings counts WATCHDOG events; WatchdogAction is the last
	// one's action (poweroff, reset, shutdown).
	WatchdogFirings int
	WatchdogAction  string
	// Resets counts RESET events (guest reboots, watchdog resets).
	Resets int
	// Killed: QEMU ended without saying why: no SHUTDOWN and no poweroff
	// watchdog (which exits without SHUTDOWN). SIGKILL, a crash, the OOM
	// killer. Only meaningful once Exited.
	Killed bool
	// StopRequested: Shutdown or Kill was called on this Process.
	StopRequested bool
	// EventsIncomplete: some events may be missing: the Process was
	// reattached (earlier events went to a previous daemon), events were
	// dropped, or the QMP connection ended before the process did.
	EventsIncomplete bool
}

// Process is one running QEMU, started by Launch or found by Reattach.
// It watches the process (pidfd or wait) and the QMP events, and records
// the Outcome. It is safe for concurrent use.
type Process struct {
	uid    types.UID
	runDir RunDir
	pid    int
	log    *slog.Logger
	qmp    *qmp.Client

	events     chan qmp.Event
	eventsDone chan struct{}
	exited     chan struct{}
	closed     atomic.Bool

	mu      sync.Mutex
	pidfd   int        // -1 once closed
	watch   *exitWatch // the pidfd watch that Close stops; nil for a child, which is reaped even after Close
	outcome Outcome
}

func newProcess(uid types.UID, d RunDir, pid, pidfd int, log *slog.Logger, reattached bool) *Process {
	return &Process{
		uid:        uid,
		runDir:     d,
		pid:        pid,
		pidfd:      pidfd,
		log:        log.With("pid", pid),
		events:     make(chan qmp.Event, eventBuffer),
		eventsDone: make(chan struct{}),
		exited:     make(chan struct{}),
		outcome:    Outcome{EventsIncomplete: reattached},
	}
}

// PID is QEMU's process id.
func (p *Process) PID() int { return p.pid }

// UID is the VMI's UID.
func (p *Process) UID() types.UID { return p.uid }

// RunDir is the VMI's run directory.
func (p *Process) RunDir() RunDir { return p.runDir }

// QMP is the process's QMP connection. Its Events channel belongs to the
// Process: read events from Process.Events instead.
func (p *Process) QMP() *qmp.Client { return p.qmp }

// Events delivers the QMP events the Process saw (after recording them in
// the Outcome), in order; it is closed when the QMP connection ends. A
// caller that falls behind loses the oldest events, never the Outcome.
func (p *Process) Events() <-chan qmp.Event { return p.events }

// Exited is closed once the QEMU process is gone, proven by its pidfd or
// by wait(2), never by a timeout. After Close it may never close.
func (p *Process) Exited() <-chan struct{} { return p.exited }

// ExitInfo reports how the process ended; zero until Exited is closed.
func (p *Process) ExitInfo() ExitInfo {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.outcome.Exit
}

// Outcome is a snapshot of what is known of the VM's end so far.
func (p *Process) Outcome() Outcome {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.outcome
}

// start hands the Process its QMP connection and starts the watchers:
// one reads events, one waits for exitCh (the pidfd watch, then wait(2)
// for a child).
func (p *Process) start(client *qmp.Client, exitCh <-chan ExitInfo) {
	p.qmp = client
	go p.trackEvents()
	go p.awaitExit(exitCh)
}

// trackEvents records every QMP event in the Outcome, then forwards it.
func (p *Process) trackEvents() {
	defer close(p.eventsDone)
	defer close(p.events)
	for ev := range p.qmp.Events() {
		p.record(ev)
		p.forward(ev)
	}
}

func (p *Process) record(ev qmp.Event) {
	p.mu.Lock()
	defer p.mu.Unlock()
	o := &p.outcome
	switch ev.Name {
	case qmp.EventShutdown:
		d, err := ev.Shutdown()
		o.ShutdownSeen = true
		if err == nil {
			o.GuestShutdown, o.ShutdownReason = d.Guest, d.Reason
		}
		p.log.Info("qemu: shutdown", "guest", d.Guest, "reason", d.Reason)
	case qmp.EventWatchdog:
		d, _ := ev.Watchdog()
		o.WatchdogFirings++
		o.WatchdogAction = d.Action
		p.log.Warn("qemu: watchdog fired", "action", d.Action)
	case qmp.EventReset:
		o.Resets++
	}
}

// forward queues ev for Events without blocking, dropping the oldest
// queued event when the caller falls behind; the Outcome then says events
// are incomplete (its counts, recorded before forwarding, stay whole).
func (p *Process) forward(ev qmp.Event) {
	for {
		select {
		case p.events <- ev:
			return
		default:
		}
		select {
		case old := <-p.events:
			p.mu.Lock()
			p.outcome.EventsIncomplete = true
			p.mu.Unlock()
			p.log.Warn("qemu: event buffer full, dropped the oldest", "event", old.Name)
		default:
		}
	}
}

// awaitExit waits for the process to be gone, lets the last events drain,
// then settles the Outcome and closes Exited. A closed exitCh without a
// value means watching stopped (Close) and the process may live on.
func (p *Process) awaitExit(exitCh <-chan ExitInfo) {
	info, ok := <-exitCh
	if !ok {
		return
	}
	drain := time.NewTimer(eventDrainTimeout)
	defer drain.Stop()
	select {
	case <-p.eventsDone:
	case <-drain.C:
		p.log.Warn("qemu: process gone but the qmp connection did not end; closing it")
	}
	p.qmp.Close()
	<-p.eventsDone

	p.mu.Lock()
	lost := p.qmp.Dropped() > 0 || errors.Is(p.qmp.Err(), qmp.ErrProtocol)
	p.outcome = settle(p.outcome, info, lost)
	o := p.outcome
	p.closeFDsLocked()
	p.mu.Unlock()
	p.log.Info("qemu: exited", "code", info.Code, "signal", info.Signal, "known", info.Known,
		"killed", o.Killed, "guestShutdown", o.GuestShutdown)
	close(p.exited)
}

// settle completes the Outcome once the process is gone. QEMU announces
// every orderly end with SHUTDOWN, except a watchdog's poweroff, which
// exits right after the WATCHDOG event; any other end is a kill or crash.
func settle(o Outcome, info ExitInfo, eventsLost bool) Outcome {
	o.Exited, o.Exit = true, info
	o.Killed = !o.ShutdownSeen && o.WatchdogAction != string(v1.WatchdogActionPoweroff)
	o.EventsIncomplete = o.EventsIncomplete || eventsLost
	return o
}

func (p *Process) closeFDsLocked() {
	if p.pidfd >= 0 {
		unix.Close(p.pidfd)
		p.pidfd = -1
	}
}

// Close detaches from QEMU without stopping it: the QMP connection is
// closed and the process is no longer watched (a child is still reaped).
// The daemon calls it on its way down; a later Reattach picks QEMU up.
func (p *Process) Close() error {
	if !p.closed.CompareAndSwap(false, true) {
		return nil
	}
	p.mu.Lock()
	p.outcome.EventsIncomplete = true
	if p.watch != nil {
		p.watch.stop()
	}
	p.mu.Unlock()
	if p.qmp != nil {
		p.qmp.Close()
	}
	return nil
}
