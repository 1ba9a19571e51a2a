package proxy

import (
	"errors"
	"fmt"
	"net"
	"net/netip"

	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"
)

// ErrNoLink: the interface to route the service subnet to does not exist
// (yet).
var ErrNoLink = errors.New("no such interface")

// EnsureRoute routes the service subnet to link, the VM bridge (link
// scope, no gateway). A connection from the host to a cluster IP needs a
// route before the output hook's DNAT can send it on to its backend; a
// host often has a default route, but one without (or a network namespace
// like the tests') would answer ENETUNREACH. Through the bridge the host
// picks the bridge's own address as source, the one the VMs reach it on.
// Nothing answers on the bridge for the service addresses themselves: what
// no rule rewrites is refused by the filter chain first. The route is
// replaced, not duplicated, so this converges; it goes with the bridge.
func EnsureRoute(link string, subnet netip.Prefix) error {
	l, err := netlink.LinkByName(link)
	var notFound netlink.LinkNotFoundError
	switch {
	case errors.As(err, &notFound):
		return fmt.Errorf("route the service subnet %s: interface %s: %w", subnet, link, ErrNoLink)
	case err != nil:
		return fmt.Errorf("route the service subnet %s: find interface %s: %w", subnet, link, err)
	}
	if err := netlink.RouteReplace(serviceRoute(l, subnet)); err != nil {
		return fmt.Errorf("route the service subnet %s to %s: %w", subnet, link, err)
	}
	return nil
}

// RemoveRoute deletes the route EnsureRoute made. A missing route or
// interface is no error.
func RemoveRoute(link string, subnet netip.Prefix) error {
	l, err := netlink.LinkByName(link)
	var notFound netlink.LinkNotFoundError
	switch {
	case errors.As(err, &notFound):
		return nil
	case err != nil:
		return fmt.Errorf("find interface %s: %w", link, err)
	}
	if err := netlink.RouteDel(serviceRoute(l, subnet)); err != nil && !errors.Is(err, unix.ESRCH) {
		return fmt.Errorf("remove the route of %s from %s: %w", subnet, link, err)
	}
	return nil
}

func serviceRoute(l netlink.Link, subnet netip.Prefix) *netlink.Route {
	dst := &net.IPNet{IP: subnet.Masked().Addr().AsSlice(), Mask: net.CIDRMask(subnet.Bits(), 32)}
	return &netlink.Route{LinkIndex: l.Attrs().Index, Dst: dst, Scope: netlink.SCOPE_LINK}
}
