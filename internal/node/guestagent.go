package node

import (
	"context"
	"slices"
	"time"

	v1 "vigil.dev/vigil/api/v1"
)

// Guest agent watch timing.
const (
	// agentPingInterval is how often the agent is pinged.
	agentPingInterval = 2 * time.Second
	// agentPingTimeout bounds one guest-ping; a guest under software
	// emulation answers within milliseconds when its agent runs.
	agentPingTimeout = 2 * time.Second
	// agentFailuresToDisconnect consecutive failed pings make
	// AgentConnected False (one slow answer on a busy host must not flap).
	agentFailuresToDisconnect = 2
	// guestInfoRefresh is how often a connected agent is asked again for
	// the guest's interfaces and OS (addresses come and go).
	guestInfoRefresh = 30 * time.Second
	// guestInfoTimeout bounds reading the guest's OS and interfaces.
	guestInfoTimeout = 5 * time.Second
	// qmpQueryTimeout bounds a QMP query of the agent's own.
	qmpQueryTimeout = 2 * time.Second
)

// agentTracker is the AgentConnected verdict over consecutive pings. Pure.
type agentTracker struct {
	known, connected bool
	failures         int
}

// next folds one ping result in: one success connects, and
// agentFailuresToDisconnect failures in a row disconnect (or settle an
// unknown state as disconnected).
func (t agentTracker) next(ok bool) agentTracker {
	if ok {
		return agentTracker{known: true, connected: true}
	}
	t.failures++
	if t.failures >= agentFailuresToDisconnect {
		t.known, t.connected = true, false
	}
	return t
}

// closed is the verdict when the guest closed the agent's port: gone now.
func (t agentTracker) closed() agentTracker {
	return agentTracker{known: true, connected: false, failures: agentFailuresToDisconnect}
}

// watchAgent pings the VMI's guest agent every agentPingInterval, and at
// once when the guest opens the agent's port; it records AgentConnected and,
// on connecting and every guestInfoRefresh, the guest's OS and interfaces.
func (a *Agent) watchAgent(ctx context.Context, st *vmiState, signals <-chan agentSignal) {
	defer st.monitorsDone.Done()
	ticker := a.cfg.Clock.NewTicker(agentPingInterval)
	defer ticker.Stop()
	var tr agentTracker
	var lastInfo time.Time
	check := func() {
		pctx, cancel := context.WithTimeout(ctx, agentPingTimeout)
		err := st.agent.Ping(pctx)
		cancel()
		if ctx.Err() != nil {
			return
		}
		prev := tr
		tr = tr.next(err == nil)
		var info *guestInfo
		if now := a.cfg.Clock.Now(); tr.connected && (!prev.connected || now.Sub(lastInfo) >= guestInfoRefresh) {
			info, lastInfo = a.readGuestInfo(ctx, st), now
		}
		a.publishAgent(st, prev, tr, info)
	}
	check()
	for {
		select {
		case <-ctx.Done():
			return
		case <-ticker.C():
			check()
		case open := <-signals:
			if open {
				check()
				continue
			}
			prev := tr
			tr = tr.closed()
			a.publishAgent(st, prev, tr, nil)
		}
	}
}

// guestInfo is what the agent told about the guest; nil members were not
// read.
type guestInfo struct {
	os     *v1.VirtualMachineInstanceGuestOSInfo
	ifaces []guestIface
}

func (a *Agent) readGuestInfo(ctx context.Context, st *vmiState) *guestInfo {
	ctx, cancel := context.WithTimeout(ctx, guestInfoTimeout)
	defer cancel()
	info := &guestInfo{}
	if os, err := st.agent.OSInfo(ctx); err == nil {
		info.os = &v1.VirtualMachineInstanceGuestOSInfo{Name: os.Name, KernelRelease: os.KernelRelease,
			Version: os.Version, PrettyName: os.PrettyName, VersionID: os.VersionID,
			KernelVersion: os.KernelVersion, Machine: os.Machine, ID: os.ID}
	} else {
		st.log.Debug("node: guest agent osinfo", "err", err)
	}
	if ifaces, err := st.agent.NetworkInterfaces(ctx); err == nil {
		info.ifaces = guestIfacesFrom(ifaces)
	} else {
		st.log.Debug("node: guest agent interfaces", "err", err)
	}
	return info
}

// publishAgent records the agent's state and what it told; the VMI is
// queued when that changes the observation.
func (a *Agent) publishAgent(st *vmiState, prev, tr agentTracker, info *guestInfo) {
	if tr.known && (!prev.known || prev.connected != tr.connected) {
		if tr.connected {
			st.log.Info("node: guest agent connected")
		} else {
			st.log.Info("node: guest agent not responding")
		}
	}
	changed := st.update(func(o *observation) bool {
		changed := o.AgentKnown != tr.known || o.AgentConnected != tr.connected
		o.AgentKnown, o.AgentConnected = tr.known, tr.connected
		if info != nil && info.os != nil && (o.OSInfo == nil || *o.OSInfo != *info.os) {
			o.OSInfo, changed = info.os, true
		}
		if info != nil && info.ifaces != nil && !guestIfacesEqual(o.GuestIfaces, info.ifaces) {
			o.GuestIfaces, changed = info.ifaces, true
		}
		return changed
	})
	if changed {
		a.queue.Add(st.uid)
	}
}

func guestIfacesEqual(a, b []guestIface) bool {
	return (a == nil) == (b == nil) && slices.EqualFunc(a, b, func(x, y guestIface) bool {
		return x.Name == y.Name && x.MAC == y.MAC && slices.Equal(x.IPs, y.IPs)
	})
}
