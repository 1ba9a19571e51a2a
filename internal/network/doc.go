// Package network gives VMs their network on the host: a bridge (default
// vigil0) holding the gateway address of a private IPv4 subnet (default
// 10.89.0.0/16), one tap per VMI on it, an in-process DHCP server handing
// each guest its reserved address, and outbound NAT in the nftables table
// `inet vigil`. Guests get real addresses of their own so TCP probes reach
// the guest's own network stack (QEMU's user-mode networking accepts
// connections for closed guest ports, see design.md).
//
// How the node agent uses it:
//
//	host, err := network.Setup(ctx, network.Config{Logger: log}) // at start
//	alloc, _ := network.NewAllocator(host.Subnet())
//	alloc.Reserve(uid, ip)       // for every IP already in a VMI's status
//	ip, _ := alloc.Allocate(uid) // new VMI; record ip in status.interfaces
//	tap, _ := host.Attach(ctx, uid, ip, network.MACFor(uid))
//	// QEMU: -netdev tap,id=n0,ifname=TAP,script=no,downscript=no,vnet_hdr=on
//	//       -device virtio-net-pci,netdev=n0,mac=MACFor(uid)
//	host.Detach(uid); alloc.Release(uid) // VMI gone
//	host.Close()                         // daemon stops; VMs keep running
//
// What it owns: the bridge, the taps named by TapName, the nftables table
// `inet vigil`, IPv4 forwarding of the namespace, UDP port 67 on the
// bridge. What it must not touch: any other interface, table or route. The
// Services dataplane (DNAT to ready endpoints) lives in its own table, so
// Setup may rebuild `inet vigil` at any time without disturbing it.
// Everything happens in the network namespace of the calling process;
// tests run in private namespaces (see the nstest subpackage).
//
// Restarts: Setup converges (the bridge is adopted, stale addresses
// removed, the table rebuilt in one nftables transaction, so no duplicate
// rules and no window without rules), and Close leaves bridge, taps and
// rules in place. After a restart the node agent calls Attach again for
// each running VMI: the existing tap is adopted, the lease re-registered.
//
// Addresses are not stored here: Allocator is pure bookkeeping, and the
// caller persists each address in the VMI's status.interfaces (kept by the
// store across daemon restarts) and restores it with Reserve at start.
// MACFor and TapName derive from the uid, so they need no storage.
//
// Why an in-process DHCP server (github.com/insomniacslk/dhcp server4,
// bound to the bridge with SO_BINDTODEVICE) rather than dnsmasq: no helper
// process to start, supervise, reattach or clean up after a crash; it works
// in whatever network namespace the daemon runs in; and its static leases
// come straight from what the store says (Attach/Detach), with no hosts
// file to rewrite and signal. The reply decision (responder in dhcp.go) is
// a pure function, tested without sockets. Only MACs with a lease get an
// answer; an unknown MAC gets silence, not a NAK.
//
// Firewalls: the forward chain accepts the bridge's traffic, but an accept
// in one nftables base chain does not override a drop in another table
// (e.g. a Docker host's FORWARD policy DROP); such hosts need their own
// rule for the bridge.
package network
