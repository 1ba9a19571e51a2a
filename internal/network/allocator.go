package network

import (
	"fmt"
	"net/netip"
	"sort"
	"sync"
)

// Allocator hands out guest addresses of one subnet, one per VMI uid. It
// does no I/O and keeps nothing on disk: the caller persists each address
// (the node agent writes it to the VMI's status.interfaces, which the store
// keeps across daemon restarts) and, after a restart, feeds the recorded
// addresses back with Reserve before allocating anything new.
//
// The network address, the gateway (the first host address) and the
// broadcast address are never handed out. It is safe for concurrent use.
type Allocator struct {
	subnet netip.Prefix
	first  netip.Addr // lowest guest address (gateway + 1)
	last   netip.Addr // highest guest address (broadcast - 1)

	mu    sync.Mutex
	byUID map[string]netip.Addr
	byIP  map[netip.Addr]string
}

// NewAllocator returns an empty allocator for an IPv4 subnet of at most /30.
func NewAllocator(subnet netip.Prefix) (*Allocator, error) {
	if err := validSubnet(subnet); err != nil {
		return nil, fmt.Errorf("subnet: %w", err)
	}
	subnet = subnet.Masked()
	return &Allocator{
		subnet: subnet,
		first:  Gateway(subnet).Next(),
		last:   broadcast(subnet).Prev(),
		byUID:  map[string]netip.Addr{},
		byIP:   map[netip.Addr]string{},
	}, nil
}

// Subnet is the allocator's subnet (masked).
func (a *Allocator) Subnet() netip.Prefix { return a.subnet }

// Reserve records that uid holds ip, as restored from the store. Reserving
// the same pair again is a no-op. It fails with ErrInvalid for an address
// outside the guest range and with ErrConflict when ip belongs to another
// uid or uid already holds another address.
func (a *Allocator) Reserve(uid string, ip netip.Addr) error {
	if uid == "" {
		return fmt.Errorf("reserve %s: empty uid: %w", ip, ErrInvalid)
	}
	if !a.assignable(ip) {
		return fmt.Errorf("reserve %s for uid %s: not a guest address of %s: %w", ip, uid, a.subnet, ErrInvalid)
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	if owner, ok := a.byIP[ip]; ok && owner != uid {
		return fmt.Errorf("reserve %s for uid %s: held by uid %s: %w", ip, uid, owner, ErrConflict)
	}
	if held, ok := a.byUID[uid]; ok && held != ip {
		return fmt.Errorf("reserve %s for uid %s: uid already holds %s: %w", ip, uid, held, ErrConflict)
	}
	a.byUID[uid] = ip
	a.byIP[ip] = uid
	return nil
}

// Allocate returns uid's address: the one it already holds, else the lowest
// free one. It fails with ErrExhausted when no address is free.
func (a *Allocator) Allocate(uid string) (netip.Addr, error) {
	if uid == "" {
		return netip.Addr{}, fmt.Errorf("allocate: empty uid: %w", ErrInvalid)
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	if ip, ok := a.byUID[uid]; ok {
		return ip, nil
	}
	for ip := a.first; ip.Compare(a.last) <= 0; ip = ip.Next() {
		if _, taken := a.byIP[ip]; taken {
			continue
		}
		a.byUID[uid] = ip
		a.byIP[ip] = uid
		return ip, nil
	}
	return netip.Addr{}, fmt.Errorf("allocate for uid %s in %s: %w", uid, a.subnet, ErrExhausted)
}

// Release frees uid's address, if it holds one.
func (a *Allocator) Release(uid string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if ip, ok := a.byUID[uid]; ok {
		delete(a.byIP, ip)
		delete(a.byUID, uid)
	}
}

// Lookup returns the address uid holds.
func (a *Allocator) Lookup(uid string) (netip.Addr, bool) {
	a.mu.Lock()
	defer a.mu.Unlock()
	ip, ok := a.byUID[uid]
	return ip, ok
}

// Allocated returns the held addresses in ascending order, for inspection.
func (a *Allocator) Allocated() []netip.Addr {
	a.mu.Lock()
	out := make([]netip.Addr, 0, len(a.byIP))
	for ip := range a.byIP {
		out = append(out, ip)
	}
	a.mu.Unlock()
	sort.Slice(out, func(i, j int) bool { return out[i].Less(out[j]) })
	return out
}

// assignable reports whether ip is a guest address of the subnet.
func (a *Allocator) assignable(ip netip.Addr) bool {
	return ip.Is4() && ip.Compare(a.first) >= 0 && ip.Compare(a.last) <= 0
}
