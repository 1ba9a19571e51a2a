package network

import (
	"bytes"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"os"
	"strings"

	"github.com/vishvananda/netlink"
)

// ipForwardPath is the IPv4 forwarding switch of the caller's network
// namespace (/proc/sys/net follows the namespace of the reading thread).
const ipForwardPath = "/proc/sys/net/ipv4/ip_forward"

// ensureBridge creates the bridge or adopts an existing one, and converges
// it: fixed MAC, up, and the gateway as its only IPv4 address.
func ensureBridge(name string, subnet netip.Prefix, log *slog.Logger) (netlink.Link, error) {
	link, err := netlink.LinkByName(name)
	switch {
	case isLinkNotFound(err):
		br := &netlink.Bridge{LinkAttrs: netlink.LinkAttrs{Name: name, HardwareAddr: bridgeMAC(name)}}
		if err := netlink.LinkAdd(br); err != nil {
			return nil, fmt.Errorf("create bridge %s: %w", name, err)
		}
		log.Info("bridge created")
		if link, err = netlink.LinkByName(name); err != nil {
			return nil, fmt.Errorf("read bridge %s: %w", name, err)
		}
	case err != nil:
		return nil, fmt.Errorf("read bridge %s: %w", name, err)
	case link.Type() != "bridge":
		return nil, fmt.Errorf("interface %s exists and is a %s, not a bridge: %w", name, link.Type(), ErrConflict)
	}
	if mac := bridgeMAC(name); !bytes.Equal(link.Attrs().HardwareAddr, mac) {
		if err := netlink.LinkSetHardwareAddr(link, mac); err != nil {
			return nil, fmt.Errorf("set mac of bridge %s: %w", name, err)
		}
	}
	if err := netlink.LinkSetUp(link); err != nil {
		return nil, fmt.Errorf("bring bridge %s up: %w", name, err)
	}
	if err := ensureGatewayAddr(link, subnet, log); err != nil {
		return nil, err
	}
	return link, nil
}

// ensureGatewayAddr leaves the gateway as the bridge's only IPv4 address;
// another one would be left over from an earlier subnet.
func ensureGatewayAddr(link netlink.Link, subnet netip.Prefix, log *slog.Logger) error {
	name := link.Attrs().Name
	want := &net.IPNet{IP: Gateway(subnet).AsSlice(), Mask: netmask(subnet)}
	addrs, err := netlink.AddrList(link, netlink.FAMILY_V4)
	if err != nil {
		return fmt.Errorf("list addresses of bridge %s: %w", name, err)
	}
	for _, a := range addrs {
		if a.IPNet.String() == want.String() {
			continue
		}
		if err := netlink.AddrDel(link, &a); err != nil {
			return fmt.Errorf("remove stale address %s from bridge %s: %w", a.IPNet, name, err)
		}
		log.Info("stale bridge address removed", "addr", a.IPNet.String())
	}
	if err := netlink.AddrReplace(link, &netlink.Addr{IPNet: want}); err != nil {
		return fmt.Errorf("set address %s on bridge %s: %w", want, name, err)
	}
	return nil
}

// enableForwarding turns on IPv4 forwarding, which NAT for the guests needs.
// It is never turned off again: other software may rely on it too.
func enableForwarding() error {
	cur, err := os.ReadFile(ipForwardPath)
	if err != nil {
		return fmt.Errorf("read %s: %w", ipForwardPath, err)
	}
	if strings.TrimSpace(string(cur)) == "1" {
		return nil
	}
	if err := os.WriteFile(ipForwardPath, []byte("1\n"), 0o644); err != nil {
		return fmt.Errorf("enable ipv4 forwarding (%s): %w", ipForwardPath, err)
	}
	return nil
}

// deleteBridge removes the bridge; a missing bridge is not an error.
func deleteBridge(name string) error {
	link, err := netlink.LinkByName(name)
	if isLinkNotFound(err) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("read bridge %s: %w", name, err)
	}
	if link.Type() != "bridge" {
		return fmt.Errorf("interface %s is a %s, not a bridge: %w", name, link.Type(), ErrConflict)
	}
	if err := netlink.LinkDel(link); err != nil {
		return fmt.Errorf("delete bridge %s: %w", name, err)
	}
	return nil
}

func isLinkNotFound(err error) bool {
	var nf netlink.LinkNotFoundError
	return errors.As(err, &nf)
}
