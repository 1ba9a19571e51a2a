package node

import (
	"net/netip"
	"slices"
	"testing"

	v1 "vigil.dev/vigil/api/v1"
	"vigil.dev/vigil/internal/qga"
)

func TestMergeInterfaces(t *testing.T) {
	ours := netInfo{Name: "default", IP: netip.MustParseAddr("10.89.0.7"), MAC: "02:aa:bb:cc:dd:ee"}
	reported := []guestIface{
		{Name: "lo", IPs: []string{"127.0.0.1"}},
		{Name: "eth0", MAC: "02:AA:BB:CC:DD:EE", IPs: []string{"10.89.0.7", "fd00::7"}},
	}
	current := []v1.VirtualMachineInstanceNetworkInterface{{Name: "default", MAC: ours.MAC, IP: "10.89.0.7",
		IPs: []string{"10.89.0.7", "fd00::9"}, InterfaceName: "ens3", InfoSource: infoSourceDomainAgent}}
	tests := []struct {
		name      string
		guest     []guestIface
		current   []v1.VirtualMachineInstanceNetworkInterface
		wantIPs   []string
		wantIface string
		wantSrc   string
	}{
		{"ours only", nil, nil, []string{"10.89.0.7"}, "", infoSourceDomain},
		{"guest adds its name and addresses", reported, nil, []string{"10.89.0.7", "fd00::7"}, "eth0", infoSourceDomainAgent},
		{"no report: keep what the status says", nil, current, []string{"10.89.0.7", "fd00::9"}, "ens3", infoSourceDomainAgent},
		{"a report replaces the status", reported, current, []string{"10.89.0.7", "fd00::7"}, "eth0", infoSourceDomainAgent},
		{"reported, our mac absent", []guestIface{{Name: "eth9", MAC: "02:00:00:00:00:09"}}, current,
			[]string{"10.89.0.7"}, "", infoSourceDomain},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := mergeInterfaces(ours, tt.guest, tt.current)
			if len(got) != 1 {
				t.Fatalf("got %d interfaces", len(got))
			}
			g := got[0]
			if g.Name != "default" || g.IP != "10.89.0.7" || g.MAC != ours.MAC {
				t.Errorf("our facts lost: %+v", g)
			}
			if !slices.Equal(g.IPs, tt.wantIPs) || g.InterfaceName != tt.wantIface || g.InfoSource != tt.wantSrc {
				t.Errorf("got ips %v iface %q source %q, want %v %q %q", g.IPs, g.InterfaceName, g.InfoSource,
					tt.wantIPs, tt.wantIface, tt.wantSrc)
			}
		})
	}
}

func TestGuestIfacesFrom(t *testing.T) {
	got := guestIfacesFrom([]qga.Interface{{Name: "eth0", HardwareAddress: "02:AB:00:00:00:01", IPAddresses: []qga.IPAddress{
		{Type: "ipv4", Address: "10.89.0.3", Prefix: 16},
		{Type: "ipv6", Address: "fe80::1", Prefix: 64},
		{Type: "ipv4", Address: "not-an-ip"},
	}}})
	if len(got) != 1 || got[0].MAC != "02:ab:00:00:00:01" || !slices.Equal(got[0].IPs, []string{"10.89.0.3"}) {
		t.Errorf("got %+v", got)
	}
	if empty := guestIfacesFrom(nil); empty == nil {
		t.Error("an empty report must differ from no report (nil)")
	}
}

func TestRecordedIP(t *testing.T) {
	vmi := vmiIn(v1.Running, "n")
	if _, ok := recordedIP(vmi, "default"); ok {
		t.Error("found an address in an empty status")
	}
	vmi.Status.Interfaces = []v1.VirtualMachineInstanceNetworkInterface{{Name: "other", IP: "10.0.0.9"}, {Name: "default", IP: "10.0.0.3"}}
	if ip, ok := recordedIP(vmi, "default"); !ok || ip.String() != "10.0.0.3" {
		t.Errorf("recordedIP = %v %v", ip, ok)
	}
}
