package network

import (
	"fmt"
	"strings"

	"github.com/vishvananda/netlink"
)

// ensureTap creates the VMI's tap or adopts an existing one (a VM that kept
// running across a daemon restart still holds it), then enslaves it to the
// bridge and brings it up.
//
// A new tap is persistent (it outlives the file descriptor that made it, so
// QEMU can open it by name), owned by root, has vnet_hdr on and is single
// queue: QEMU opening it without queues=N would fail on a multi-queue tap.
func ensureTap(name string, bridge netlink.Link) (netlink.Link, error) {
	link, err := netlink.LinkByName(name)
	switch {
	case isLinkNotFound(err):
		tap := &netlink.Tuntap{
			LinkAttrs: netlink.LinkAttrs{Name: name},
			Mode:      netlink.TUNTAP_MODE_TAP,
			Flags:     netlink.TUNTAP_NO_PI | netlink.TUNTAP_VNET_HDR,
		}
		if err := netlink.LinkAdd(tap); err != nil {
			return nil, fmt.Errorf("create tap %s: %w", name, err)
		}
		if link, err = netlink.LinkByName(name); err != nil {
			return nil, fmt.Errorf("read tap %s: %w", name, err)
		}
	case err != nil:
		return nil, fmt.Errorf("read tap %s: %w", name, err)
	}
	if err := checkTap(link); err != nil {
		return nil, err
	}
	if link.Attrs().MasterIndex != bridge.Attrs().Index {
		if err := netlink.LinkSetMaster(link, bridge); err != nil {
			return nil, fmt.Errorf("attach tap %s to bridge %s: %w", name, bridge.Attrs().Name, err)
		}
	}
	// Hairpin: a VM's packets to a Service address may be sent back to the
	// same VM (the Service is backed by it); the bridge must then forward a
	// frame out of the port it came in on.
	if err := netlink.LinkSetHairpin(link, true); err != nil {
		return nil, fmt.Errorf("hairpin mode on tap %s: %w", name, err)
	}
	if err := netlink.LinkSetUp(link); err != nil {
		return nil, fmt.Errorf("bring tap %s up: %w", name, err)
	}
	return link, nil
}

// checkTap refuses to adopt an interface that is not a single-queue tap.
func checkTap(link netlink.Link) error {
	name := link.Attrs().Name
	tap, ok := link.(*netlink.Tuntap)
	if !ok || tap.Mode != netlink.TUNTAP_MODE_TAP {
		return fmt.Errorf("interface %s exists and is a %s, not a tap: %w", name, link.Type(), ErrConflict)
	}
	if tap.Flags&netlink.TUNTAP_MULTI_QUEUE != 0 {
		return fmt.Errorf("tap %s is multi-queue, QEMU would not open it: %w", name, ErrConflict)
	}
	return nil
}

// deleteTap removes a tap; a missing one is not an error, and an interface
// of that name that is not a tap is left alone.
func deleteTap(name string) error {
	link, err := netlink.LinkByName(name)
	if isLinkNotFound(err) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("read tap %s: %w", name, err)
	}
	if _, ok := link.(*netlink.Tuntap); !ok {
		return fmt.Errorf("interface %s is a %s, not a tap: %w", name, link.Type(), ErrConflict)
	}
	if err := netlink.LinkDel(link); err != nil {
		return fmt.Errorf("delete tap %s: %w", name, err)
	}
	return nil
}

// bridgeTaps lists the taps named by TapName that hang on the bridge.
func bridgeTaps(bridge netlink.Link) ([]string, error) {
	links, err := netlink.LinkList()
	if err != nil {
		return nil, fmt.Errorf("list interfaces: %w", err)
	}
	var out []string
	for _, l := range links {
		_, isTap := l.(*netlink.Tuntap)
		a := l.Attrs()
		if isTap && a.MasterIndex == bridge.Attrs().Index && strings.HasPrefix(a.Name, tapPrefix) {
			out = append(out, a.Name)
		}
	}
	return out, nil
}
