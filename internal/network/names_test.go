package network

import (
	"errors"
	"net/netip"
	"regexp"
	"strings"
	"testing"
)

func TestMACForDeterministicLocalUnicast(t *testing.T) {
	uids := []string{"", "a", "b", "5f1c0c7e-3f6a-4c7a-9f43-6b1f2c7d8e90"}
	seen := map[string]string{}
	for _, uid := range uids {
		mac := MACFor(uid)
		if len(mac) != 6 {
			t.Fatalf("MACFor(%q) has %d bytes", uid, len(mac))
		}
		if mac[0] != 0x02 {
			t.Errorf("MACFor(%q) = %s: want first byte 02 (local, unicast)", uid, mac)
		}
		if again := MACFor(uid); again.String() != mac.String() {
			t.Errorf("MACFor(%q) changed: %s then %s", uid, mac, again)
		}
		if prev, dup := seen[mac.String()]; dup {
			t.Errorf("MACFor(%q) = MACFor(%q) = %s", uid, prev, mac)
		}
		seen[mac.String()] = uid
	}
}

func TestTapNameDeterministicAndValid(t *testing.T) {
	valid := regexp.MustCompile(`^vt[0-9a-f]{12}$`)
	a, b := TapName("5f1c0c7e-3f6a-4c7a-9f43-6b1f2c7d8e90"), TapName("other")
	for _, name := range []string{a, b} {
		if !valid.MatchString(name) || len(name) > maxIfName {
			t.Errorf("TapName gave %q: want vt + 12 hex digits, at most %d characters", name, maxIfName)
		}
		if err := validIfName(name); err != nil {
			t.Errorf("TapName gave an invalid interface name: %v", err)
		}
	}
	if a == b {
		t.Errorf("two uids share tap name %q", a)
	}
	if TapName("other") != b {
		t.Errorf("TapName is not deterministic")
	}
}

func TestConfigDefaultsAndErrors(t *testing.T) {
	cfg, err := Config{}.withDefaults()
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Bridge != "vigil0" || cfg.Subnet.String() != "10.89.0.0/16" || Gateway(cfg.Subnet).String() != "10.89.0.1" {
		t.Fatalf("defaults: bridge %q subnet %s", cfg.Bridge, cfg.Subnet)
	}
	if cfg, _ := (Config{Subnet: netip.MustParsePrefix("10.5.6.7/24")}).withDefaults(); cfg.Subnet.String() != "10.5.6.0/24" {
		t.Fatalf("subnet not masked: %s", cfg.Subnet)
	}
	bad := []struct {
		name  string
		cfg   Config
		field string
	}{
		{"long bridge name", Config{Bridge: "a-name-longer-than-15"}, "config.bridge"},
		{"slash in bridge name", Config{Bridge: "bad/name"}, "config.bridge"},
		{"ipv6 subnet", Config{Subnet: netip.MustParsePrefix("fd00::/64")}, "config.subnet"},
		{"subnet without guests", Config{Subnet: netip.MustParsePrefix("10.0.0.0/31")}, "config.subnet"},
		{"ipv6 dns", Config{DNS: []netip.Addr{netip.MustParseAddr("1.1.1.1"), netip.MustParseAddr("fd00::53")}}, "config.dns[1]"},
	}
	for _, tc := range bad {
		_, err := tc.cfg.withDefaults()
		if !errors.Is(err, ErrInvalid) || !strings.HasPrefix(err.Error(), tc.field+":") {
			t.Errorf("%s: error %v, want ErrInvalid naming %s", tc.name, err, tc.field)
		}
	}
}

func TestBroadcastAndMask(t *testing.T) {
	for subnet, want := range map[string]string{
		"10.89.0.0/16": "10.89.255.255", "192.168.7.0/29": "192.168.7.7", "10.0.0.0/30": "10.0.0.3",
	} {
		if got := broadcast(netip.MustParsePrefix(subnet)).String(); got != want {
			t.Errorf("broadcast(%s) = %s, want %s", subnet, got, want)
		}
	}
	if got := netmask(netip.MustParsePrefix("10.0.0.0/20")).String(); got != "fffff000" {
		t.Errorf("netmask(/20) = %s", got)
	}
}
