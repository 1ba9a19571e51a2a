package network

import (
	"bufio"
	"context"
	"errors"
	"io"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/vishvananda/netlink"

	"vigil.dev/vigil/internal/network/nstest"
)

// udhcpcScript records what busybox udhcpc was given and configures
// nothing; the test applies the address itself.
const udhcpcScript = `#!/bin/sh
case "$1" in
bound|renew)
	echo "ip=$ip mask=$mask router=$router dns=$dns lease=$lease serverid=$serverid" > "$0.out" ;;
esac
`

// guest is a network namespace wired to the bridge like a VM: a veth pair
// with one end on the bridge and the other, eth0, inside the namespace.
type guest struct {
	ns     *nstest.NS
	script string
}

func newGuest(t *testing.T, bridge, hostEnd string, mac net.HardwareAddr) *guest {
	t.Helper()
	ns := nstest.New(t)
	veth := nstest.Veth(t, hostEnd, ns, "eth0", mac)
	if err := netlink.LinkSetMaster(veth, link(t, bridge)); err != nil {
		t.Fatalf("enslave %s to %s: %v", hostEnd, bridge, err)
	}
	script := filepath.Join(t.TempDir(), "udhcpc.sh")
	if err := os.WriteFile(script, []byte(udhcpcScript), 0o755); err != nil {
		t.Fatal(err)
	}
	return &guest{ns: ns, script: script}
}

// dhcp runs one udhcpc exchange: tries discovers, retry seconds apart,
// then gives up. It returns the variables the script recorded.
func (g *guest) dhcp(t *testing.T, tries, retry string) (map[string]string, error) {
	t.Helper()
	if err := os.Remove(g.script + ".out"); err != nil && !errors.Is(err, os.ErrNotExist) {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), ioTimeout)
	defer cancel()
	out, err := g.ns.Command(ctx, "busybox", "udhcpc", "-i", "eth0", "-f", "-q", "-n",
		"-t", tries, "-T", retry, "-s", g.script).CombinedOutput()
	if err != nil {
		return nil, errors.New(strings.TrimSpace(string(out)))
	}
	rec, err := os.ReadFile(g.script + ".out")
	if err != nil {
		return nil, err
	}
	vars := map[string]string{}
	for _, kv := range strings.Fields(string(rec)) {
		k, v, _ := strings.Cut(kv, "=")
		vars[k] = v
	}
	return vars, nil
}

func TestDHCPExchangeReachAndNAT(t *testing.T) {
	cfg := testConfig(t)
	h := setupHost(t, cfg)
	alloc, err := NewAllocator(cfg.Subnet)
	if err != nil {
		t.Fatal(err)
	}
	uid := "vmi-dhcp"
	ip, err := alloc.Allocate(uid)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := h.Attach(context.Background(), uid, ip, MACFor(uid)); err != nil {
		t.Fatal(err)
	}
	g := newGuest(t, cfg.Bridge, "vhg", MACFor(uid))

	got, err := g.dhcp(t, "3", "2")
	if err != nil {
		t.Fatalf("udhcpc for a leased MAC: %v", err)
	}
	gw := h.Gateway().String()
	want := map[string]string{"ip": ip.String(), "mask": "24", "router": gw, "serverid": gw,
		"dns": "192.0.2.53", "lease": "3600"}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("udhcpc got %s=%q, want %q (all: %v)", k, got[k], v, got)
		}
	}

	g.ns.Run(t, "ip", "addr", "add", got["ip"]+"/"+got["mask"], "dev", "eth0")
	g.ns.Run(t, "ip", "route", "add", "default", "via", got["router"])
	t.Run("guest reaches gateway", func(t *testing.T) { guestReachesGateway(t, g, h.Gateway()) })
	t.Run("host reaches guest", func(t *testing.T) { hostReachesGuest(t, g, ip) })
	t.Run("outbound traffic is masqueraded", func(t *testing.T) { outboundIsMasqueraded(t, g) })
}

func TestDHCPIgnoresUnknownMAC(t *testing.T) {
	cfg := testConfig(t)
	h := setupHost(t, cfg)
	uid := "vmi-known"
	if _, err := h.Attach(context.Background(), uid, Gateway(cfg.Subnet).Next(), MACFor(uid)); err != nil {
		t.Fatal(err)
	}
	stranger := newGuest(t, cfg.Bridge, "vhs", MACFor("not-attached"))
	// Two discovers a second apart, while a leased guest on the same bridge
	// is answered in milliseconds: silence means the server chose it.
	if vars, err := stranger.dhcp(t, "2", "1"); err == nil {
		t.Fatalf("unknown MAC got a lease: %v", vars)
	}
	known := newGuest(t, cfg.Bridge, "vhk", MACFor(uid))
	if _, err := known.dhcp(t, "3", "2"); err != nil {
		t.Fatalf("leased MAC on the same bridge: %v", err)
	}
	if err := h.Detach(uid); err != nil {
		t.Fatal(err)
	}
	if vars, err := known.dhcp(t, "1", "1"); err == nil {
		t.Fatalf("MAC got a lease after Detach: %v", vars)
	}
}

// guestReachesGateway connects from the guest to a listener on the bridge's
// address in the host namespace.
func guestReachesGateway(t *testing.T, g *guest, gw netip.Addr) {
	ln, err := net.Listen("tcp", netip.AddrPortFrom(gw, 0).String())
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go serveGreeting(ln)
	var conn net.Conn
	if err := g.ns.Do(func() (err error) {
		conn, err = net.DialTimeout("tcp", ln.Addr().String(), ioTimeout)
		return err
	}); err != nil {
		t.Fatalf("guest dial %s: %v", ln.Addr(), err)
	}
	defer conn.Close()
	if got := readLine(t, conn); got != "hello "+conn.LocalAddr().(*net.TCPAddr).IP.String() {
		t.Fatalf("gateway said %q", got)
	}
}

// hostReachesGuest connects from the host namespace to a listener in the
// guest, the path TCP probes take.
func hostReachesGuest(t *testing.T, g *guest, ip netip.Addr) {
	var ln net.Listener
	if err := g.ns.Do(func() (err error) {
		ln, err = net.Listen("tcp", netip.AddrPortFrom(ip, 0).String())
		return err
	}); err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go serveGreeting(ln)
	conn, err := net.DialTimeout("tcp", ln.Addr().String(), ioTimeout)
	if err != nil {
		t.Fatalf("host dial guest %s: %v", ln.Addr(), err)
	}
	defer conn.Close()
	if got := readLine(t, conn); !strings.HasPrefix(got, "hello ") {
		t.Fatalf("guest said %q", got)
	}
}

// outboundIsMasqueraded connects from the guest to a server in a third
// namespace reached through an uplink of the host namespace; the server
// must see the uplink's address, not the guest's.
func outboundIsMasqueraded(t *testing.T, g *guest) {
	outside := nstest.New(t)
	uplink := nstest.Veth(t, "vhup", outside, "eth0", nil)
	if err := netlink.AddrAdd(uplink, &netlink.Addr{IPNet: mustIPNet(t, "192.0.2.1/24")}); err != nil {
		t.Fatal(err)
	}
	outside.Run(t, "ip", "addr", "add", "192.0.2.2/24", "dev", "eth0")
	var ln net.Listener
	if err := outside.Do(func() (err error) {
		ln, err = net.Listen("tcp", "192.0.2.2:0")
		return err
	}); err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go serveGreeting(ln)
	var conn net.Conn
	if err := g.ns.Do(func() (err error) {
		conn, err = net.DialTimeout("tcp", ln.Addr().String(), ioTimeout)
		return err
	}); err != nil {
		t.Fatalf("guest dial outside %s: %v", ln.Addr(), err)
	}
	defer conn.Close()
	if got := readLine(t, conn); got != "hello 192.0.2.1" {
		t.Fatalf("outside server saw %q, want the uplink address 192.0.2.1", got)
	}
}

// serveGreeting answers every connection with "hello <client ip>".
func serveGreeting(ln net.Listener) {
	for {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		peer := c.RemoteAddr().(*net.TCPAddr).IP.String()
		_, _ = io.WriteString(c, "hello "+peer+"\n")
		c.Close()
	}
}

func readLine(t *testing.T, c net.Conn) string {
	t.Helper()
	if err := c.SetReadDeadline(time.Now().Add(ioTimeout)); err != nil {
		t.Fatal(err)
	}
	line, err := bufio.NewReader(c).ReadString('\n')
	if err != nil {
		t.Fatalf("read from %s: %v", c.RemoteAddr(), err)
	}
	return strings.TrimSuffix(line, "\n")
}

func mustIPNet(t *testing.T, cidr string) *net.IPNet {
	t.Helper()
	ip, n, err := net.ParseCIDR(cidr)
	if err != nil {
		t.Fatal(err)
	}
	n.IP = ip
	return n
}
