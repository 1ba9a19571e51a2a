package network

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"strings"
	"testing"

	"github.com/vishvananda/netlink"
)

func TestSetupBuildsBridgeForwardingAndRules(t *testing.T) {
	cfg := testConfig(t)
	h := setupHost(t, cfg)
	first := cfg.Subnet.Addr().As4()
	first[3] = 1
	if h.Gateway() != netip.AddrFrom4(first) || h.Subnet() != cfg.Subnet || h.Bridge() != cfg.Bridge {
		t.Fatalf("host: bridge %s subnet %s gateway %s, config %+v", h.Bridge(), h.Subnet(), h.Gateway(), cfg)
	}
	br := link(t, cfg.Bridge)
	if br.Type() != "bridge" || br.Attrs().Flags&net.FlagUp == 0 {
		t.Fatalf("%s: type %s flags %v, want an up bridge", cfg.Bridge, br.Type(), br.Attrs().Flags)
	}
	if got := br.Attrs().HardwareAddr.String(); got != bridgeMAC(cfg.Bridge).String() {
		t.Errorf("bridge mac %s, want fixed %s", got, bridgeMAC(cfg.Bridge))
	}
	if got := fmt.Sprint(bridgeAddrs(t, cfg.Bridge)); got != "["+h.Gateway().String()+"/24]" {
		t.Errorf("bridge addresses %s", got)
	}
	fwd, err := os.ReadFile(ipForwardPath)
	if err != nil || strings.TrimSpace(string(fwd)) != "1" {
		t.Errorf("ip_forward = %q, %v", fwd, err)
	}
	rules := nftTable(t)
	for _, want := range []string{
		"type nat hook postrouting priority srcnat; policy accept;",
		fmt.Sprintf(`ip saddr %s oifname != "%s" masquerade`, cfg.Subnet, cfg.Bridge),
		"type filter hook forward priority filter; policy accept;",
		fmt.Sprintf(`iifname "%s" accept`, cfg.Bridge),
		fmt.Sprintf(`oifname "%s" accept`, cfg.Bridge),
	} {
		if !strings.Contains(rules, want) {
			t.Errorf("ruleset lacks %q:\n%s", want, rules)
		}
	}
}

func TestSetupAgainConverges(t *testing.T) {
	cfg := testConfig(t)
	first := setupHost(t, cfg)
	rules := nftTable(t)
	index := link(t, cfg.Bridge).Attrs().Index
	if err := first.Close(); err != nil {
		t.Fatal(err)
	}
	// Drift a restarted daemon must undo: a foreign rule in our table, an
	// address from an older subnet on the bridge.
	command(t, "nft", "add", "rule", "inet", TableName, "forward", "drop")
	command(t, "ip", "addr", "add", "10.250.0.1/24", "dev", cfg.Bridge)

	for i := 0; i < 2; i++ { // a second and a third run
		if err := setupHost(t, cfg).Close(); err != nil {
			t.Fatal(err)
		}
	}
	if got := nftTable(t); got != rules {
		t.Errorf("ruleset after Setup again:\n%s\nwant:\n%s", got, rules)
	}
	if got := link(t, cfg.Bridge).Attrs().Index; got != index {
		t.Errorf("bridge recreated: index %d, was %d", got, index)
	}
	if got := fmt.Sprint(bridgeAddrs(t, cfg.Bridge)); got != "["+Gateway(cfg.Subnet).String()+"/24]" {
		t.Errorf("bridge addresses %s, want the gateway only", got)
	}
	links, err := netlink.LinkList()
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, l := range links {
		if l.Attrs().Name == cfg.Bridge {
			n++
		}
	}
	if n != 1 {
		t.Errorf("%d interfaces named %s", n, cfg.Bridge)
	}
}

func TestSetupRefusesNonBridge(t *testing.T) {
	cfg := testConfig(t)
	command(t, "ip", "link", "add", cfg.Bridge, "type", "veth", "peer", "name", cfg.Bridge+"p")
	t.Cleanup(func() { command(t, "ip", "link", "del", cfg.Bridge) })
	h, err := Setup(context.Background(), cfg)
	if !errors.Is(err, ErrConflict) || !strings.Contains(err.Error(), cfg.Bridge) {
		t.Fatalf("Setup over a veth = %v, want ErrConflict naming %s", err, cfg.Bridge)
	}
	if h != nil {
		t.Fatal("Setup returned a Host with its error")
	}
}

func TestSetupInvalidConfig(t *testing.T) {
	_, err := Setup(context.Background(), Config{Subnet: netip.MustParsePrefix("fd00::/64")})
	if !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), "config.subnet") {
		t.Fatalf("Setup with an IPv6 subnet = %v", err)
	}
}

func TestAttachCreatesTapOnBridgeAndDetachRemovesIt(t *testing.T) {
	cfg := testConfig(t)
	h := setupHost(t, cfg)
	uid, ip := "vmi-attach", netip.MustParseAddr(cfg.Subnet.Addr().Next().Next().String())
	tap, err := h.Attach(context.Background(), uid, ip, MACFor(uid))
	if err != nil {
		t.Fatalf("Attach: %v", err)
	}
	if tap != TapName(uid) {
		t.Fatalf("tap %q, want %q", tap, TapName(uid))
	}
	checkTapLink(t, tap, cfg.Bridge)
	index := link(t, tap).Attrs().Index
	if got := h.Leases(); len(got) != 1 || got[0].UID != uid || got[0].IP != ip || got[0].Tap != tap ||
		got[0].MAC.String() != MACFor(uid).String() {
		t.Fatalf("Leases() = %+v", got)
	}

	if again, err := h.Attach(context.Background(), uid, ip, MACFor(uid)); err != nil || again != tap {
		t.Fatalf("Attach again = %q, %v", again, err)
	}
	if got := link(t, tap).Attrs().Index; got != index {
		t.Errorf("tap recreated by a second Attach: index %d, was %d", got, index)
	}

	if err := h.Detach(uid); err != nil {
		t.Fatalf("Detach: %v", err)
	}
	if _, err := netlink.LinkByName(tap); !isLinkNotFound(err) {
		t.Errorf("tap %s still there after Detach (err %v)", tap, err)
	}
	if got := h.Leases(); len(got) != 0 {
		t.Errorf("Leases() after Detach = %+v", got)
	}
	if err := h.Detach(uid); err != nil {
		t.Errorf("second Detach: %v", err)
	}
}

// checkTapLink asserts what QEMU relies on: a persistent single-queue tap
// with vnet_hdr and no packet info, owned by root, up, on the bridge.
func checkTapLink(t *testing.T, name, bridge string) {
	t.Helper()
	l := link(t, name)
	tap, ok := l.(*netlink.Tuntap)
	if !ok {
		t.Fatalf("%s is a %s, not a tuntap", name, l.Type())
	}
	switch {
	case tap.Mode != netlink.TUNTAP_MODE_TAP:
		t.Errorf("%s mode %v, want tap", name, tap.Mode)
	case tap.NonPersist:
		t.Errorf("%s is not persistent", name)
	case tap.Flags&netlink.TUNTAP_VNET_HDR == 0 || tap.Flags&netlink.TUNTAP_NO_PI == 0:
		t.Errorf("%s flags %#x, want vnet_hdr and no_pi", name, tap.Flags)
	case tap.Flags&netlink.TUNTAP_MULTI_QUEUE != 0:
		t.Errorf("%s is multi-queue", name)
	case tap.Owner != 0:
		t.Errorf("%s owner %d, want root", name, tap.Owner)
	case tap.Attrs().MasterIndex != link(t, bridge).Attrs().Index:
		t.Errorf("%s master index %d, want bridge %s", name, tap.Attrs().MasterIndex, bridge)
	case tap.Attrs().Flags&net.FlagUp == 0:
		t.Errorf("%s is down", name)
	}
	if b, err := os.ReadFile("/sys/class/net/" + name + "/brport/hairpin_mode"); err != nil || strings.TrimSpace(string(b)) != "1" {
		t.Errorf("%s hairpin mode %q (%v), want 1", name, b, err)
	}
}

func TestAttachRejects(t *testing.T) {
	cfg := testConfig(t)
	h := setupHost(t, cfg)
	guest := func(last byte) netip.Addr {
		a := cfg.Subnet.Addr().As4()
		a[3] = last
		return netip.AddrFrom4(a)
	}
	if _, err := h.Attach(context.Background(), "holder", guest(9), MACFor("holder")); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		uid  string
		ip   netip.Addr
		mac  net.HardwareAddr
		want error
	}{
		{"empty uid", "", guest(10), MACFor("x"), ErrInvalid},
		{"gateway ip", "x", guest(1), MACFor("x"), ErrInvalid},
		{"broadcast ip", "x", guest(255), MACFor("x"), ErrInvalid},
		{"ip outside subnet", "x", netip.MustParseAddr("10.250.0.9"), MACFor("x"), ErrInvalid},
		{"multicast mac", "x", guest(10), net.HardwareAddr{1, 0, 0x5e, 0, 0, 1}, ErrInvalid},
		{"short mac", "x", guest(10), net.HardwareAddr{2, 0, 0}, ErrInvalid},
		{"ip of another vmi", "x", guest(9), MACFor("x"), ErrConflict},
		{"mac of another vmi", "x", guest(10), MACFor("holder"), ErrConflict},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := h.Attach(context.Background(), tc.uid, tc.ip, tc.mac)
			if !errors.Is(err, tc.want) {
				t.Fatalf("Attach = %v, want %v", err, tc.want)
			}
			if tc.uid != "" {
				if _, err := netlink.LinkByName(TapName(tc.uid)); !isLinkNotFound(err) {
					t.Errorf("a rejected Attach left tap %s (err %v)", TapName(tc.uid), err)
				}
			}
		})
	}
	if got := h.Leases(); len(got) != 1 || got[0].UID != "holder" {
		t.Errorf("Leases() = %+v, want only holder's", got)
	}
}

func TestReattachAfterDaemonRestart(t *testing.T) {
	cfg := testConfig(t)
	before := setupHost(t, cfg)
	uid, ip := "vmi-survivor", Gateway(cfg.Subnet).Next()
	tap, err := before.Attach(context.Background(), uid, ip, MACFor(uid))
	if err != nil {
		t.Fatal(err)
	}
	index := link(t, tap).Attrs().Index
	if err := before.Close(); err != nil { // the daemon stops; the VM keeps running
		t.Fatal(err)
	}
	checkTapLink(t, tap, cfg.Bridge)

	after := setupHost(t, cfg)
	if got := after.Leases(); len(got) != 0 {
		t.Fatalf("a new Host starts with leases %+v", got)
	}
	if _, err := after.Attach(context.Background(), uid, ip, MACFor(uid)); err != nil {
		t.Fatalf("reattach: %v", err)
	}
	if got := link(t, tap).Attrs().Index; got != index {
		t.Errorf("tap recreated on reattach: index %d, was %d", got, index)
	}
}

func TestAttachRefusesNonTap(t *testing.T) {
	cfg := testConfig(t)
	h := setupHost(t, cfg)
	uid := "vmi-name-taken"
	command(t, "ip", "link", "add", TapName(uid), "type", "veth", "peer", "name", TapName(uid)+"p")
	t.Cleanup(func() { command(t, "ip", "link", "del", TapName(uid)) })
	if _, err := h.Attach(context.Background(), uid, Gateway(cfg.Subnet).Next(), MACFor(uid)); !errors.Is(err, ErrConflict) {
		t.Fatalf("Attach over a veth = %v, want ErrConflict", err)
	}
	if got := h.Leases(); len(got) != 0 {
		t.Errorf("failed Attach left leases %+v", got)
	}
	if err := h.Detach(uid); !errors.Is(err, ErrConflict) {
		t.Errorf("Detach of a non-tap = %v, want ErrConflict", err)
	}
}

func TestTeardownRemovesEverything(t *testing.T) {
	cfg := testConfig(t)
	h, err := Setup(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	tap, err := h.Attach(context.Background(), "vmi-t", Gateway(cfg.Subnet).Next(), MACFor("vmi-t"))
	if err != nil {
		t.Fatal(err)
	}
	if err := h.Close(); err != nil {
		t.Fatal(err)
	}
	if err := Teardown(cfg); err != nil {
		t.Fatalf("Teardown: %v", err)
	}
	for _, name := range []string{cfg.Bridge, tap} {
		if _, err := netlink.LinkByName(name); !isLinkNotFound(err) {
			t.Errorf("%s survived Teardown (err %v)", name, err)
		}
	}
	out := command(t, "nft", "list", "tables")
	if strings.Contains(out, "inet "+TableName) {
		t.Errorf("table still listed after Teardown:\n%s", out)
	}
	if err := Teardown(cfg); err != nil {
		t.Errorf("second Teardown: %v", err)
	}
}
