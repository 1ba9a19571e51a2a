package nstest

import (
	"context"
	"os"
	"strings"
	"testing"

	"github.com/vishvananda/netlink"
)

func TestMain(m *testing.M) { Main(m) }

func TestProcessIsIsolated(t *testing.T) {
	Require(t)
	parent := os.Getenv(parentEnv)
	self, err := nsIDs()
	if err != nil {
		t.Fatal(err)
	}
	if parent == "" || sameNS(self, parent) {
		t.Fatalf("namespaces %q, parent's %q", self, parent)
	}
	links, err := netlink.LinkList()
	if err != nil {
		t.Fatal(err)
	}
	if len(links) != 1 || links[0].Attrs().Name != "lo" {
		t.Fatalf("a fresh namespace should hold only lo, has %d links", len(links))
	}
	if entries, err := os.ReadDir("/sys/class/net"); err != nil || len(entries) != 1 {
		t.Fatalf("/sys/class/net shows %d entries (%v), want only lo", len(entries), err)
	}
}

func TestSameNS(t *testing.T) {
	for _, tc := range []struct {
		a, b string
		want bool
	}{
		{"net:[1] mnt:[2]", "net:[1] mnt:[2]", true},
		{"net:[1] mnt:[2]", "net:[3] mnt:[2]", true},
		{"net:[1] mnt:[2]", "net:[1] mnt:[4]", true},
		{"net:[1] mnt:[2]", "net:[3] mnt:[4]", false},
		{"", "", true}, // unparsable: treat as the same, refuse to run
	} {
		if got := sameNS(tc.a, tc.b); got != tc.want {
			t.Errorf("sameNS(%q, %q) = %v", tc.a, tc.b, got)
		}
	}
}

func TestNewVethAndDo(t *testing.T) {
	ns := New(t)
	Veth(t, "nst-host", ns, "nst-peer", nil)
	if out := ns.Run(t, "ip", "-br", "link", "show", "nst-peer"); !strings.Contains(out, "nst-peer") {
		t.Fatalf("peer not in namespace: %s", out)
	}
	if _, err := netlink.LinkByName("nst-peer"); err == nil {
		t.Fatal("peer still visible in the test's namespace")
	}
	var inside string
	if err := ns.Do(func() error {
		l, err := netlink.LinkByName("nst-peer")
		if err == nil {
			inside = l.Attrs().Name
		}
		return err
	}); err != nil || inside != "nst-peer" {
		t.Fatalf("Do did not run inside %s: %q, %v", ns.Name, inside, err)
	}
	if err := ns.Command(context.Background(), "true").Run(); err != nil {
		t.Fatal(err)
	}
}
