package nstest

import (
	"net"
	"testing"

	"github.com/vishvananda/netlink"
	"github.com/vishvananda/netns"
)

// Veth wires ns to the test's namespace: a veth pair whose end hostName
// stays here and whose end peerName (with mac, or a kernel-chosen MAC when
// nil) moves into ns. Both ends are up; the pair is removed when the test
// ends. It returns the host end.
func Veth(t testing.TB, hostName string, ns *NS, peerName string, mac net.HardwareAddr) netlink.Link {
	t.Helper()
	Require(t)
	veth := &netlink.Veth{
		LinkAttrs:        netlink.LinkAttrs{Name: hostName},
		PeerName:         peerName,
		PeerHardwareAddr: mac,
	}
	if err := netlink.LinkAdd(veth); err != nil {
		t.Fatalf("nstest: create veth %s/%s: %v", hostName, peerName, err)
	}
	t.Cleanup(func() {
		if l, err := netlink.LinkByName(hostName); err == nil {
			_ = netlink.LinkDel(l) // gone already if ns was deleted first
		}
	})
	peer, err := netlink.LinkByName(peerName)
	if err != nil {
		t.Fatalf("nstest: find veth end %s: %v", peerName, err)
	}
	h, err := netns.GetFromPath(ns.Path())
	if err != nil {
		t.Fatalf("nstest: open namespace %s: %v", ns.Name, err)
	}
	defer h.Close()
	if err := netlink.LinkSetNsFd(peer, int(h)); err != nil {
		t.Fatalf("nstest: move %s into namespace %s: %v", peerName, ns.Name, err)
	}
	host, err := netlink.LinkByName(hostName)
	if err != nil {
		t.Fatalf("nstest: find veth end %s: %v", hostName, err)
	}
	if err := netlink.LinkSetUp(host); err != nil {
		t.Fatalf("nstest: bring %s up: %v", hostName, err)
	}
	ns.Run(t, "ip", "link", "set", peerName, "up")
	return host
}
