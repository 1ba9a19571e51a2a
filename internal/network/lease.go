package network

import (
	"fmt"
	"net"
	"net/netip"
	"sort"
	"sync"
)

// Lease is a static DHCP reservation: the guest with MAC gets IP.
type Lease struct {
	UID string
	MAC net.HardwareAddr
	IP  netip.Addr
	Tap string
}

// leaseTable holds the static leases the DHCP server answers from, keyed by
// MAC. It is safe for concurrent use.
type leaseTable struct {
	mu    sync.RWMutex
	byMAC map[string]Lease
}

func newLeaseTable() *leaseTable {
	return &leaseTable{byMAC: map[string]Lease{}}
}

// put registers l, replacing any earlier lease of the same uid. It fails
// with ErrConflict when another uid holds the MAC or the IP.
func (t *leaseTable) put(l Lease) error {
	t.mu.Lock()
	defer t.mu.Unlock()
	for key, other := range t.byMAC {
		if other.UID == l.UID {
			continue
		}
		if key == l.MAC.String() {
			return fmt.Errorf("lease for uid %s: mac %s held by uid %s: %w", l.UID, l.MAC, other.UID, ErrConflict)
		}
		if other.IP == l.IP {
			return fmt.Errorf("lease for uid %s: ip %s held by uid %s: %w", l.UID, l.IP, other.UID, ErrConflict)
		}
	}
	t.removeLocked(l.UID)
	t.byMAC[l.MAC.String()] = l
	return nil
}

// remove drops uid's lease and reports whether there was one.
func (t *leaseTable) remove(uid string) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.removeLocked(uid)
}

func (t *leaseTable) removeLocked(uid string) bool {
	for key, l := range t.byMAC {
		if l.UID == uid {
			delete(t.byMAC, key)
			return true
		}
	}
	return false
}

// lookup finds the lease of a MAC.
func (t *leaseTable) lookup(mac net.HardwareAddr) (Lease, bool) {
	t.mu.RLock()
	defer t.mu.RUnlock()
	l, ok := t.byMAC[mac.String()]
	return l, ok
}

// list returns the leases ordered by IP.
func (t *leaseTable) list() []Lease {
	t.mu.RLock()
	out := make([]Lease, 0, len(t.byMAC))
	for _, l := range t.byMAC {
		out = append(out, l)
	}
	t.mu.RUnlock()
	sort.Slice(out, func(i, j int) bool { return out[i].IP.Less(out[j].IP) })
	return out
}

// get returns uid's lease.
func (t *leaseTable) get(uid string) (Lease, bool) {
	t.mu.RLock()
	defer t.mu.RUnlock()
	for _, l := range t.byMAC {
		if l.UID == uid {
			return l, true
		}
	}
	return Lease{}, false
}
