package network

import (
	"fmt"
	"net"
	"net/netip"
	"time"

	"github.com/insomniacslk/dhcp/dhcpv4"
)

// DefaultLeaseTime is the DHCP lease time given to guests. Leases are
// static, so the length only bounds how long a guest keeps an address the
// host no longer answers for.
const DefaultLeaseTime = time.Hour

// responder decides the DHCP reply to one request. It is pure: no sockets,
// no clock; the server in dhcpserver.go does the I/O.
type responder struct {
	serverIP  netip.Addr // the gateway: server identifier and router
	subnet    netip.Prefix
	dns       []netip.Addr
	leaseTime time.Duration
	lookup    func(net.HardwareAddr) (Lease, bool)
}

// respond returns the reply to req, or nil and the reason for staying
// silent. Only MACs with a static lease get an answer: an unknown guest must
// not get an address, and staying silent (rather than NAK) leaves room for
// another server on the same segment, as RFC 2131 asks.
func (r *responder) respond(req *dhcpv4.DHCPv4) (*dhcpv4.DHCPv4, string, error) {
	if req.OpCode != dhcpv4.OpcodeBootRequest || len(req.ClientHWAddr) != 6 {
		return nil, "not an ethernet boot request", nil
	}
	lease, known := r.lookup(req.ClientHWAddr)
	if !known {
		return nil, "unknown mac", nil
	}
	switch req.MessageType() {
	case dhcpv4.MessageTypeDiscover:
		return r.reply(req, dhcpv4.MessageTypeOffer, lease)
	case dhcpv4.MessageTypeRequest:
		return r.request(req, lease)
	case dhcpv4.MessageTypeInform:
		return r.reply(req, dhcpv4.MessageTypeAck, Lease{})
	case dhcpv4.MessageTypeDecline:
		return nil, fmt.Sprintf("guest declined %s (address in use on the segment?)", lease.IP), nil
	default:
		return nil, "message type " + req.MessageType().String(), nil
	}
}

// request answers a REQUEST: ACK for the reserved address, NAK for another
// one, silence when the client selected a different server.
func (r *responder) request(req *dhcpv4.DHCPv4, lease Lease) (*dhcpv4.DHCPv4, string, error) {
	if sid := req.ServerIdentifier(); sid != nil && !sid.Equal(r.serverIP.AsSlice()) {
		return nil, "client selected server " + sid.String(), nil
	}
	wanted := req.RequestedIPAddress()
	if wanted == nil || wanted.IsUnspecified() {
		wanted = req.ClientIPAddr // renewing or rebinding
	}
	if wanted != nil && !wanted.IsUnspecified() && !wanted.Equal(lease.IP.AsSlice()) {
		nak, err := dhcpv4.NewReplyFromRequest(req,
			dhcpv4.WithMessageType(dhcpv4.MessageTypeNak),
			dhcpv4.WithOption(dhcpv4.OptServerIdentifier(r.serverIP.AsSlice())),
			dhcpv4.WithOption(dhcpv4.OptMessage("address not reserved for this client")),
		)
		if err != nil {
			return nil, "", fmt.Errorf("build dhcp nak for %s: %w", req.ClientHWAddr, err)
		}
		return nak, "", nil
	}
	return r.reply(req, dhcpv4.MessageTypeAck, lease)
}

// reply builds an OFFER or ACK. An empty lease (answer to INFORM) carries
// the configuration options but no address and no lease time.
func (r *responder) reply(req *dhcpv4.DHCPv4, typ dhcpv4.MessageType, lease Lease) (*dhcpv4.DHCPv4, string, error) {
	mods := []dhcpv4.Modifier{
		dhcpv4.WithMessageType(typ),
		dhcpv4.WithServerIP(r.serverIP.AsSlice()),
		dhcpv4.WithOption(dhcpv4.OptServerIdentifier(r.serverIP.AsSlice())),
		dhcpv4.WithOption(dhcpv4.OptSubnetMask(netmask(r.subnet))),
		dhcpv4.WithOption(dhcpv4.OptRouter(r.serverIP.AsSlice())),
		dhcpv4.WithOption(dhcpv4.OptBroadcastAddress(broadcast(r.subnet).AsSlice())),
	}
	if len(r.dns) > 0 {
		servers := make([]net.IP, len(r.dns))
		for i, d := range r.dns {
			servers[i] = d.AsSlice()
		}
		mods = append(mods, dhcpv4.WithOption(dhcpv4.OptDNS(servers...)))
	}
	if lease.IP.IsValid() {
		mods = append(mods,
			dhcpv4.WithYourIP(lease.IP.AsSlice()),
			dhcpv4.WithOption(dhcpv4.OptIPAddressLeaseTime(r.leaseTime)),
			dhcpv4.WithOption(dhcpv4.OptRenewTimeValue(r.leaseTime/2)),
			dhcpv4.WithOption(dhcpv4.OptRebindingTimeValue(r.leaseTime*7/8)),
		)
	}
	resp, err := dhcpv4.NewReplyFromRequest(req, mods...)
	if err != nil {
		return nil, "", fmt.Errorf("build dhcp %s for %s: %w", typ, req.ClientHWAddr, err)
	}
	return resp, "", nil
}

// replyAddr is where a reply goes (RFC 2131 4.1): to the relay when there
// is one; a NAK, or a reply to a client without an address, is broadcast
// (a client without an address cannot answer ARP for a unicast reply);
// otherwise to the client's own address.
func replyAddr(req, resp *dhcpv4.DHCPv4) *net.UDPAddr {
	if gi := req.GatewayIPAddr; gi != nil && !gi.IsUnspecified() {
		return &net.UDPAddr{IP: gi, Port: dhcpv4.ServerPort}
	}
	if resp.MessageType() == dhcpv4.MessageTypeNak {
		return &net.UDPAddr{IP: net.IPv4bcast, Port: dhcpv4.ClientPort}
	}
	if ci := req.ClientIPAddr; ci != nil && !ci.IsUnspecified() {
		return &net.UDPAddr{IP: ci, Port: dhcpv4.ClientPort}
	}
	return &net.UDPAddr{IP: net.IPv4bcast, Port: dhcpv4.ClientPort}
}
