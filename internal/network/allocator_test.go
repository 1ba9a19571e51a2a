package network

import (
	"errors"
	"fmt"
	"net/netip"
	"testing"
)

func mustAllocator(t *testing.T, subnet string) *Allocator {
	t.Helper()
	a, err := NewAllocator(netip.MustParsePrefix(subnet))
	if err != nil {
		t.Fatalf("NewAllocator(%s): %v", subnet, err)
	}
	return a
}

func TestNewAllocatorRejects(t *testing.T) {
	for _, s := range []string{"fd00::/64", "10.0.0.0/31", "10.0.0.1/32"} {
		if _, err := NewAllocator(netip.MustParsePrefix(s)); !errors.Is(err, ErrInvalid) {
			t.Errorf("NewAllocator(%s) = %v, want ErrInvalid", s, err)
		}
	}
	if _, err := NewAllocator(netip.Prefix{}); !errors.Is(err, ErrInvalid) {
		t.Errorf("NewAllocator(zero prefix) = %v, want ErrInvalid", err)
	}
}

func TestAllocateSkipsNetworkGatewayBroadcast(t *testing.T) {
	a := mustAllocator(t, "192.168.7.12/29") // masked to .8/29: .8 network, .9 gateway, .15 broadcast
	var got []string
	for i := 0; i < 5; i++ {
		ip, err := a.Allocate(fmt.Sprintf("uid-%d", i))
		if err != nil {
			t.Fatalf("Allocate #%d: %v", i, err)
		}
		got = append(got, ip.String())
	}
	want := "[192.168.7.10 192.168.7.11 192.168.7.12 192.168.7.13 192.168.7.14]"
	if fmt.Sprint(got) != want {
		t.Fatalf("allocated %v, want %s", got, want)
	}
	if _, err := a.Allocate("one-more"); !errors.Is(err, ErrExhausted) {
		t.Fatalf("Allocate on a full /29 = %v, want ErrExhausted", err)
	}
}

func TestAllocateSameUIDSameIP(t *testing.T) {
	a := mustAllocator(t, "10.89.0.0/16")
	first, err := a.Allocate("vmi-a")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := a.Allocate("vmi-b"); err != nil {
		t.Fatal(err)
	}
	again, err := a.Allocate("vmi-a")
	if err != nil || again != first {
		t.Fatalf("second Allocate(vmi-a) = %s, %v; want %s", again, err, first)
	}
	if got, ok := a.Lookup("vmi-a"); !ok || got != first {
		t.Fatalf("Lookup(vmi-a) = %s, %v", got, ok)
	}
}

func TestReleaseFreesLowestAddress(t *testing.T) {
	a := mustAllocator(t, "10.1.0.0/24")
	for _, uid := range []string{"a", "b", "c"} { // .2 .3 .4
		if _, err := a.Allocate(uid); err != nil {
			t.Fatal(err)
		}
	}
	a.Release("b")
	a.Release("never-allocated")
	if _, ok := a.Lookup("b"); ok {
		t.Fatal("Lookup(b) after Release still finds an address")
	}
	ip, err := a.Allocate("d")
	if err != nil || ip != netip.MustParseAddr("10.1.0.3") {
		t.Fatalf("Allocate(d) = %s, %v; want the released 10.1.0.3", ip, err)
	}
	if got := fmt.Sprint(a.Allocated()); got != "[10.1.0.2 10.1.0.3 10.1.0.4]" {
		t.Fatalf("Allocated() = %s", got)
	}
}

func TestReserveRestoresAndAllocationAvoidsIt(t *testing.T) {
	a := mustAllocator(t, "10.1.0.0/24")
	// As after a daemon restart: the store says these uids hold these IPs.
	restored := map[string]string{"old-1": "10.1.0.2", "old-2": "10.1.0.4"}
	for uid, ip := range restored {
		if err := a.Reserve(uid, netip.MustParseAddr(ip)); err != nil {
			t.Fatalf("Reserve(%s, %s): %v", uid, ip, err)
		}
	}
	for _, step := range []struct{ uid, want string }{
		{"new-1", "10.1.0.3"}, {"new-2", "10.1.0.5"}, {"old-2", "10.1.0.4"},
	} {
		ip, err := a.Allocate(step.uid)
		if err != nil || ip.String() != step.want {
			t.Errorf("Allocate(%s) = %s, %v; want %s", step.uid, ip, err, step.want)
		}
	}
}

func TestReserveErrors(t *testing.T) {
	a := mustAllocator(t, "10.1.0.0/24")
	if err := a.Reserve("holder", netip.MustParseAddr("10.1.0.10")); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, uid, ip string
		want          error
	}{
		{"same pair again", "holder", "10.1.0.10", nil},
		{"ip held by another uid", "other", "10.1.0.10", ErrConflict},
		{"uid holds another ip", "holder", "10.1.0.11", ErrConflict},
		{"network address", "x", "10.1.0.0", ErrInvalid},
		{"gateway", "x", "10.1.0.1", ErrInvalid},
		{"broadcast", "x", "10.1.0.255", ErrInvalid},
		{"outside subnet", "x", "10.2.0.5", ErrInvalid},
		{"ipv6", "x", "fd00::5", ErrInvalid},
		{"empty uid", "", "10.1.0.20", ErrInvalid},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := a.Reserve(tc.uid, netip.MustParseAddr(tc.ip))
			if tc.want == nil && err != nil || tc.want != nil && !errors.Is(err, tc.want) {
				t.Fatalf("Reserve(%q, %s) = %v, want %v", tc.uid, tc.ip, err, tc.want)
			}
		})
	}
}

func TestAllocateEmptyUID(t *testing.T) {
	a := mustAllocator(t, "10.1.0.0/24")
	if _, err := a.Allocate(""); !errors.Is(err, ErrInvalid) {
		t.Fatalf("Allocate(\"\") = %v, want ErrInvalid", err)
	}
}
