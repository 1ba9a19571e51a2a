package network

import (
	"net"
	"net/netip"
	"testing"
	"time"

	"github.com/insomniacslk/dhcp/dhcpv4"
)

var (
	knownMAC   = net.HardwareAddr{0x02, 0, 0, 0, 0, 0x0a}
	unknownMAC = net.HardwareAddr{0x02, 0, 0, 0, 0, 0x0b}
	knownIP    = netip.MustParseAddr("10.89.0.7")
)

func testResponder(t *testing.T) *responder {
	t.Helper()
	table := newLeaseTable()
	if err := table.put(Lease{UID: "uid-a", MAC: knownMAC, IP: knownIP, Tap: TapName("uid-a")}); err != nil {
		t.Fatal(err)
	}
	return &responder{
		serverIP:  netip.MustParseAddr("10.89.0.1"),
		subnet:    netip.MustParsePrefix("10.89.0.0/16"),
		dns:       []netip.Addr{netip.MustParseAddr("192.0.2.53")},
		leaseTime: time.Hour,
		lookup:    table.lookup,
	}
}

func discover(t *testing.T, mac net.HardwareAddr) *dhcpv4.DHCPv4 {
	t.Helper()
	m, err := dhcpv4.NewDiscovery(mac)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// request builds a REQUEST (or, with a later WithMessageType, another
// client message) from mac.
func request(t *testing.T, mac net.HardwareAddr, mods ...dhcpv4.Modifier) *dhcpv4.DHCPv4 {
	t.Helper()
	mods = append([]dhcpv4.Modifier{dhcpv4.WithMessageType(dhcpv4.MessageTypeRequest)}, mods...)
	m, err := dhcpv4.New(append(mods, dhcpv4.WithHwAddr(mac))...)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func TestOfferCarriesReservationAndOptions(t *testing.T) {
	r := testResponder(t)
	req := discover(t, knownMAC)
	resp, skip, err := r.respond(req)
	if err != nil || resp == nil {
		t.Fatalf("respond(DISCOVER) = %v, %q, %v", resp, skip, err)
	}
	checks := map[string][2]string{
		"type":       {resp.MessageType().String(), "OFFER"},
		"yiaddr":     {resp.YourIPAddr.String(), "10.89.0.7"},
		"xid":        {resp.TransactionID.String(), req.TransactionID.String()},
		"chaddr":     {resp.ClientHWAddr.String(), knownMAC.String()},
		"server id":  {resp.ServerIdentifier().String(), "10.89.0.1"},
		"mask":       {net.IP(resp.SubnetMask()).String(), "255.255.0.0"},
		"router":     {ipsString(resp.Router()), "[10.89.0.1]"},
		"dns":        {ipsString(resp.DNS()), "[192.0.2.53]"},
		"broadcast":  {resp.BroadcastAddress().String(), "10.89.255.255"},
		"lease time": {resp.IPAddressLeaseTime(0).String(), "1h0m0s"},
		"renew":      {resp.IPAddressRenewalTime(0).String(), "30m0s"},
		"rebind":     {resp.IPAddressRebindingTime(0).String(), "52m30s"},
		"reply to":   {replyAddr(req, resp).String(), "255.255.255.255:68"},
	}
	for what, c := range checks {
		if c[0] != c[1] {
			t.Errorf("%s = %s, want %s", what, c[0], c[1])
		}
	}
}

func TestRequestOutcomes(t *testing.T) {
	r := testResponder(t)
	server := net.IPv4(10, 89, 0, 1)
	tests := []struct {
		name     string
		req      *dhcpv4.DHCPv4
		wantType string // "" = no reply
		wantTo   string
	}{
		{"selecting our offer", request(t, knownMAC,
			dhcpv4.WithOption(dhcpv4.OptServerIdentifier(server)),
			dhcpv4.WithOption(dhcpv4.OptRequestedIPAddress(knownIP.AsSlice()))), "ACK", "255.255.255.255:68"},
		{"init-reboot with the reserved ip", request(t, knownMAC,
			dhcpv4.WithOption(dhcpv4.OptRequestedIPAddress(knownIP.AsSlice()))), "ACK", "255.255.255.255:68"},
		{"renewing from the reserved ip", request(t, knownMAC,
			dhcpv4.WithClientIP(knownIP.AsSlice())), "ACK", "10.89.0.7:68"},
		{"asking for another ip", request(t, knownMAC,
			dhcpv4.WithOption(dhcpv4.OptRequestedIPAddress(net.IPv4(10, 89, 0, 99)))), "NAK", "255.255.255.255:68"},
		{"renewing from another ip", request(t, knownMAC,
			dhcpv4.WithClientIP(net.IPv4(10, 89, 0, 99))), "NAK", "255.255.255.255:68"},
		{"selected another server", request(t, knownMAC,
			dhcpv4.WithOption(dhcpv4.OptServerIdentifier(net.IPv4(10, 89, 0, 200))),
			dhcpv4.WithOption(dhcpv4.OptRequestedIPAddress(knownIP.AsSlice()))), "", ""},
		{"unknown mac", request(t, unknownMAC,
			dhcpv4.WithOption(dhcpv4.OptRequestedIPAddress(knownIP.AsSlice()))), "", ""},
		{"unknown mac discover", discover(t, unknownMAC), "", ""},
		{"release", request(t, knownMAC, dhcpv4.WithMessageType(dhcpv4.MessageTypeRelease)), "", ""},
		{"decline", request(t, knownMAC, dhcpv4.WithMessageType(dhcpv4.MessageTypeDecline)), "", ""},
		{"inform", request(t, knownMAC, dhcpv4.WithMessageType(dhcpv4.MessageTypeInform),
			dhcpv4.WithClientIP(knownIP.AsSlice())), "ACK", "10.89.0.7:68"},
		{"via relay", request(t, knownMAC, dhcpv4.WithRelay(net.IPv4(192, 0, 2, 1)),
			dhcpv4.WithOption(dhcpv4.OptRequestedIPAddress(knownIP.AsSlice()))), "ACK", "192.0.2.1:67"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			resp, skip, err := r.respond(tc.req)
			if err != nil {
				t.Fatal(err)
			}
			if tc.wantType == "" {
				if resp != nil {
					t.Fatalf("answered %s, want silence", resp.MessageType())
				}
				if skip == "" {
					t.Fatal("silent without a reason")
				}
				return
			}
			if resp == nil {
				t.Fatalf("no reply (%s), want %s", skip, tc.wantType)
			}
			if got := resp.MessageType().String(); got != tc.wantType {
				t.Fatalf("reply %s, want %s", got, tc.wantType)
			}
			if got := replyAddr(tc.req, resp).String(); got != tc.wantTo {
				t.Errorf("reply to %s, want %s", got, tc.wantTo)
			}
			assertYiaddr(t, tc.req, resp)
		})
	}
}

// assertYiaddr: an ACK to a REQUEST hands out the reservation; NAK and the
// answer to INFORM hand out nothing.
func assertYiaddr(t *testing.T, req, resp *dhcpv4.DHCPv4) {
	t.Helper()
	want := "0.0.0.0"
	if resp.MessageType() == dhcpv4.MessageTypeAck && req.MessageType() == dhcpv4.MessageTypeRequest {
		want = knownIP.String()
	}
	if got := resp.YourIPAddr.String(); got != want {
		t.Errorf("yiaddr %s, want %s", got, want)
	}
}

func TestRespondFollowsLeaseTable(t *testing.T) {
	table := newLeaseTable()
	r := testResponder(t)
	r.lookup = table.lookup
	if resp, _, _ := r.respond(discover(t, knownMAC)); resp != nil {
		t.Fatal("answered before the lease was registered")
	}
	if err := table.put(Lease{UID: "u", MAC: knownMAC, IP: netip.MustParseAddr("10.89.3.4")}); err != nil {
		t.Fatal(err)
	}
	resp, _, _ := r.respond(discover(t, knownMAC))
	if resp == nil || resp.YourIPAddr.String() != "10.89.3.4" {
		t.Fatalf("after put: %v", resp)
	}
	table.remove("u")
	if resp, _, _ := r.respond(discover(t, knownMAC)); resp != nil {
		t.Fatal("answered after the lease was removed")
	}
}

func TestLeaseTableConflicts(t *testing.T) {
	table := newLeaseTable()
	a := Lease{UID: "a", MAC: knownMAC, IP: knownIP}
	if err := table.put(a); err != nil {
		t.Fatal(err)
	}
	if err := table.put(Lease{UID: "b", MAC: knownMAC, IP: netip.MustParseAddr("10.89.0.8")}); err == nil {
		t.Error("second uid took the same mac")
	}
	if err := table.put(Lease{UID: "b", MAC: unknownMAC, IP: knownIP}); err == nil {
		t.Error("second uid took the same ip")
	}
	moved := Lease{UID: "a", MAC: unknownMAC, IP: netip.MustParseAddr("10.89.0.9")}
	if err := table.put(moved); err != nil {
		t.Fatalf("re-put of uid a: %v", err)
	}
	if _, ok := table.lookup(knownMAC); ok {
		t.Error("old mac of uid a still leased")
	}
	if got := table.list(); len(got) != 1 || got[0].IP != moved.IP {
		t.Errorf("list = %+v", got)
	}
}

func ipsString(ips []net.IP) string {
	out := "["
	for i, ip := range ips {
		if i > 0 {
			out += " "
		}
		out += ip.String()
	}
	return out + "]"
}
