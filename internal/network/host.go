package network

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"sync"

	"github.com/vishvananda/netlink"
)

// Host is the VM network of this host (of the caller's network namespace):
// the bridge, the nftables table, the DHCP server and the VMIs' taps.
// Its methods are safe for concurrent use.
type Host struct {
	cfg     Config
	gateway netip.Addr
	log     *slog.Logger
	leases  *leaseTable
	dhcp    *dhcpServer

	linkMu    sync.Mutex // serializes tap changes
	closeOnce sync.Once
	closeErr  error
}

// Setup brings the host network to the state cfg describes and starts the
// DHCP server: bridge (created or adopted) up with the gateway address,
// IPv4 forwarding on, nftables table inet vigil rebuilt atomically. It
// converges: running it again, e.g. after a daemon restart, leaves the same
// state and never duplicates rules. One Host per bridge at a time.
//
// Everything happens in the network namespace of the calling process.
func Setup(ctx context.Context, cfg Config) (*Host, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	log := cfg.Logger.With("bridge", cfg.Bridge)
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("network setup: %w", err)
	}
	if _, err := ensureBridge(cfg.Bridge, cfg.Subnet, log); err != nil {
		return nil, err
	}
	if err := enableForwarding(); err != nil {
		return nil, err
	}
	if err := applyRules(cfg.Bridge, cfg.Subnet); err != nil {
		return nil, err
	}
	h := &Host{cfg: cfg, gateway: Gateway(cfg.Subnet), log: log, leases: newLeaseTable()}
	resp := &responder{
		serverIP: h.gateway, subnet: cfg.Subnet, dns: cfg.DNS,
		leaseTime: DefaultLeaseTime, lookup: h.leases.lookup,
	}
	if h.dhcp, err = startDHCP(cfg.Bridge, resp, log); err != nil {
		return nil, err
	}
	log.Info("network ready", "subnet", cfg.Subnet.String(), "gateway", h.gateway.String())
	return h, nil
}

// Bridge is the bridge's name.
func (h *Host) Bridge() string { return h.cfg.Bridge }

// Subnet is the guests' subnet (masked).
func (h *Host) Subnet() netip.Prefix { return h.cfg.Subnet }

// Gateway is the bridge's address, the guests' router and DHCP server.
func (h *Host) Gateway() netip.Addr { return h.gateway }

// Attach gives a VMI its network: the tap TapName(uid) on the bridge, up,
// and a static DHCP lease mac -> ip. It returns the tap's name for QEMU
// (-netdev tap,ifname=TAP,script=no,downscript=no,vnet_hdr=on, no queues).
// An existing tap is adopted, so calling it again for a running VM (after a
// daemon restart) is safe. ip comes from an Allocator; mac usually from
// MACFor.
func (h *Host) Attach(ctx context.Context, uid string, ip netip.Addr, mac net.HardwareAddr) (string, error) {
	if err := h.checkAttach(uid, ip, mac); err != nil {
		return "", err
	}
	if err := ctx.Err(); err != nil {
		return "", fmt.Errorf("attach uid %s: %w", uid, err)
	}
	tap := TapName(uid)
	lease := Lease{UID: uid, MAC: append(net.HardwareAddr(nil), mac...), IP: ip, Tap: tap}
	prev, hadPrev := h.leases.get(uid)
	if err := h.leases.put(lease); err != nil {
		return "", err
	}
	h.linkMu.Lock()
	defer h.linkMu.Unlock()
	bridge, err := netlink.LinkByName(h.cfg.Bridge)
	if err == nil {
		_, err = ensureTap(tap, bridge)
	}
	if err != nil {
		h.restoreLease(uid, prev, hadPrev)
		return "", fmt.Errorf("attach uid %s: %w", uid, err)
	}
	h.log.Info("vmi network attached", "uid", uid, "tap", tap, "ip", ip.String(), "mac", mac.String())
	return tap, nil
}

// Detach removes a VMI's tap and lease. Detaching what is not attached is
// not an error.
func (h *Host) Detach(uid string) error {
	h.leases.remove(uid)
	tap := TapName(uid)
	h.linkMu.Lock()
	defer h.linkMu.Unlock()
	if err := deleteTap(tap); err != nil {
		return fmt.Errorf("detach uid %s: %w", uid, err)
	}
	h.log.Info("vmi network detached", "uid", uid, "tap", tap)
	return nil
}

// Leases returns the static DHCP leases, ordered by IP.
func (h *Host) Leases() []Lease { return h.leases.list() }

// Close stops the DHCP server. The bridge, the taps and the rules stay, so
// running VMs keep their network while the daemon restarts; a guest only
// needs DHCP again when its lease (DefaultLeaseTime) runs out.
func (h *Host) Close() error {
	h.closeOnce.Do(func() {
		h.closeErr = h.dhcp.close()
		h.log.Info("dhcp server stopped")
	})
	return h.closeErr
}

// checkAttach validates Attach's arguments.
func (h *Host) checkAttach(uid string, ip netip.Addr, mac net.HardwareAddr) error {
	if uid == "" {
		return fmt.Errorf("attach: empty uid: %w", ErrInvalid)
	}
	if ip == h.gateway || ip == broadcast(h.cfg.Subnet) || ip == h.cfg.Subnet.Addr() || !h.cfg.Subnet.Contains(ip) {
		return fmt.Errorf("attach uid %s: ip %s is not a guest address of %s: %w", uid, ip, h.cfg.Subnet, ErrInvalid)
	}
	if len(mac) != 6 || mac[0]&1 != 0 {
		return fmt.Errorf("attach uid %s: mac %q is not a unicast ethernet address: %w", uid, mac.String(), ErrInvalid)
	}
	return nil
}

// restoreLease puts back what uid had before a failed Attach.
func (h *Host) restoreLease(uid string, prev Lease, hadPrev bool) {
	if !hadPrev {
		h.leases.remove(uid)
		return
	}
	if err := h.leases.put(prev); err != nil {
		h.log.Warn("restore lease", "uid", uid, "err", err)
	}
}

// Teardown removes what Setup and Attach made: the nftables table, the taps
// on the bridge named by TapName, and the bridge. IPv4 forwarding is left
// on. Running VMs lose their network; stop the Host and the VMs first.
func Teardown(cfg Config) error {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return err
	}
	errs := []error{deleteRules()}
	bridge, err := netlink.LinkByName(cfg.Bridge)
	switch {
	case isLinkNotFound(err):
		return errors.Join(errs...)
	case err != nil:
		return errors.Join(append(errs, fmt.Errorf("read bridge %s: %w", cfg.Bridge, err))...)
	}
	taps, err := bridgeTaps(bridge)
	errs = append(errs, err)
	for _, tap := range taps {
		errs = append(errs, deleteTap(tap))
	}
	errs = append(errs, deleteBridge(cfg.Bridge))
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("network teardown of bridge %s: %w", cfg.Bridge, err)
	}
	cfg.Logger.Info("network removed", "bridge", cfg.Bridge)
	return nil
}
