package proxy

import (
	"context"
	"errors"
	"net/netip"
	"os"
	"strconv"
	"strings"
	"testing"

	"github.com/mdlayher/netlink"
	"golang.org/x/sys/unix"

	"vigil.dev/vigil/internal/network/nstest"
)

// TestNetlinkMatchesNFT loads the same increments once through nft and
// once as netlink batches, each from the same starting table, and wants
// the kernel to end up holding the same table, as `nft list` prints it:
// the expressions are nft's own, the map keys and verdicts the same.
func TestNetlinkMatchesNFT(t *testing.T) {
	nstest.Require(t)
	ctx := context.Background()
	base := testState()
	moved := testState() // endpoints come and go; db's filter flips to accept
	moved["shop/web"].Ports[0].Endpoints = []Endpoint{ep("10.89.0.6", 8080), ep("10.89.0.7", 8080), ep("10.89.0.8", 8080)}
	moved["shop/db"].Ports[0].Endpoints = []Endpoint{ep("10.89.0.9", 5432)}
	changed := testState() // an address goes, a Service goes, one comes
	changed["shop/web"].Ports[0].Addrs = []netip.Addr{ip("10.96.0.10")}
	delete(changed, "shop/db")
	changed["shop/cache"] = &Service{Namespace: "shop", Name: "cache", Ports: []Port{
		{Protocol: "tcp", Port: 6379, Addrs: []netip.Addr{ip("10.96.0.12")}, Endpoints: []Endpoint{ep("10.89.0.8", 6379)}}}}

	cases := []struct {
		name       string
		client     string // the client subnet: whole-byte and other prefixes compile differently
		have, want State
		shows      []string // in the final listing, so that equal is not "both empty"
	}{
		{"endpoints", "10.89.0.0/16", base, moved, []string{
			"numgen random mod 3 vmap { 0 : goto ep-shop/web/tcp/http__10.89.0.6/8080, 1 : goto ep-shop/web/tcp/http__10.89.0.7/8080, 2 : goto ep-shop/web/tcp/http__10.89.0.8/8080 }",
			"meta l4proto tcp dnat to 10.89.0.9:5432", "10.96.0.11 . tcp . 5432 : accept", "ip saddr 10.89.0.0/16 jump"}},
		{"services", "10.89.0.0/20", base, changed, []string{
			"10.96.0.12 . tcp . 6379 : jump svc-shop/cache/tcp/6379", "ip saddr 10.89.0.0/20 jump", "fib saddr type local jump"}},
		{"none ready", "10.89.0.0/24", moved, testState(), []string{
			"10.96.0.11 . tcp . 5432 : goto reject-service", "ip saddr 10.89.0.0/24 jump", "meta l4proto udp dnat to 10.89.0.5:5353"}},
		{"everything goes", "10.89.0.1/32", base, State{}, []string{"map service-ips {"}},
		{"everything comes", "10.0.0.0/8", State{}, moved, []string{"ip saddr 10.0.0.0/8 jump", `comment "vigil:`}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			cfg := Config{ServiceSubnet: testConfig.ServiceSubnet, ClientSubnet: netip.MustParsePrefix(c.client)}
			h, _ := units(cfg, c.have)
			w, _ := units(cfg, c.want)
			b := renderDiff(h, w)
			load := func(r Runner) string {
				t.Helper()
				if err := (NFT{}).Run(ctx, renderRecreate(cfg, h)); err != nil {
					t.Fatal(err)
				}
				if err := r.Apply(ctx, b); err != nil {
					t.Fatalf("apply with %T: %v\n%s", r, err, b.Script())
				}
				return listTable(t)
			}
			byNFT := load(NFT{})
			nl := &Netlink{}
			defer nl.Close()
			byNetlink := load(nl)
			if byNFT != byNetlink {
				t.Fatalf("the tables differ\nthrough nft:\n%s\nthrough netlink:\n%s\nbatch:\n%s", byNFT, byNetlink, b.Script())
			}
			for _, s := range c.shows {
				if !strings.Contains(byNetlink, s) {
					t.Errorf("the table lacks %q:\n%s", s, byNetlink)
				}
			}
		})
	}
}

// A batch the kernel refuses changes nothing, and the error says so,
// whether the failing command asked for an ack (the last) or not; the
// next batch goes through a fresh socket.
func TestNetlinkRefusedBatchChangesNothing(t *testing.T) {
	nstest.Require(t)
	ctx := context.Background()
	h, _ := units(testConfig, testState())
	if err := (NFT{}).Run(ctx, renderRecreate(testConfig, h)); err != nil {
		t.Fatal(err)
	}
	before := listTable(t)
	nl := &Netlink{}
	defer nl.Close()
	add := addElement(mapFilter, mapKey{addr: ip("10.96.0.99"), proto: "tcp", port: 80}, verdict{kind: verdictAccept})
	bad := command{kind: cmdDeleteChain, chain: "no-such-chain"}
	for _, cmds := range [][]command{{add, bad}, {bad, add}} {
		err := nl.Apply(ctx, Batch{cmds: cmds})
		var opErr *netlink.OpError
		if err == nil || !strings.Contains(err.Error(), "no such file or directory") || !errors.As(err, &opErr) {
			t.Fatalf("Apply(%s) = %v, want the kernel's ENOENT", Batch{cmds: cmds}.Script(), err)
		}
		if after := listTable(t); after != before {
			t.Fatalf("a refused batch changed the table:\n%s", after)
		}
	}
	if err := nl.Apply(ctx, Batch{cmds: []command{add}}); err != nil {
		t.Fatalf("next Apply: %v", err)
	}
	if !strings.Contains(listTable(t), "10.96.0.99 . tcp . 80 : accept") {
		t.Fatal("the next batch did not load")
	}
}

// elementBatch adds n filter map elements, 10.96.0.0 port 80 on.
func elementBatch(n int) Batch {
	var cmds []command
	for i := range n {
		k := mapKey{addr: netip.AddrFrom4([4]byte{10, 96, byte(i >> 8), byte(i)}), proto: "tcp", port: uint16(80 + i>>16)}
		cmds = append(cmds, addElement(mapFilter, k, verdict{kind: verdictAccept}))
	}
	return Batch{cmds: cmds}
}

// A large batch (larger than the default send buffer, and with more
// commands than acks would fit in the receive buffer) loads in one go.
func TestNetlinkLargeBatch(t *testing.T) {
	nstest.Require(t)
	ctx := context.Background()
	if err := (NFT{}).Run(ctx, renderRecreate(testConfig, nil)); err != nil {
		t.Fatal(err)
	}
	nl := &Netlink{}
	defer nl.Close()
	if err := nl.Apply(ctx, elementBatch(20000)); err != nil {
		t.Fatal(err)
	}
	if list := listTable(t); !strings.Contains(list, "10.96.78.31 . tcp . 80 : accept") {
		t.Fatalf("the last element is missing")
	}
}

// Where the send buffer cannot be forced (CAP_NET_ADMIN outside the initial
// user namespace), a batch the default buffer takes still loads, one that
// fits after SO_SNDBUF too, and a larger one is an error that changes
// nothing (the dataplane then loads the table through nft).
func TestNetlinkSendBufferNotForced(t *testing.T) {
	nstest.Require(t)
	ctx := context.Background()
	if err := (NFT{}).Run(ctx, renderRecreate(testConfig, nil)); err != nil {
		t.Fatal(err)
	}
	forced := 0
	setsockoptInt = func(fd, level, opt, value int) error {
		if opt == unix.SO_SNDBUFFORCE {
			forced++
			return unix.EPERM
		}
		return unix.SetsockoptInt(fd, level, opt, value)
	}
	defer func() { setsockoptInt = unix.SetsockoptInt }()
	// Too large: more than SO_SNDBUF can grant (twice net.core.wmem_max).
	wmemMax := readInt(t, "/proc/sys/net/core/wmem_max")
	perCommand := batchBytes(t, elementBatch(100)) / 100
	tooLarge := 2*wmemMax/perCommand + 1000
	if tooLarge > 500000 {
		t.Skipf("net.core.wmem_max is %d: a batch too large for it would take %d commands", wmemMax, tooLarge)
	}
	for _, c := range []struct {
		n      int
		loads  bool
		forced int // attempts so far
	}{{10, true, 0}, {3000, true, 1}, {tooLarge, false, 2}} {
		nl := &Netlink{}
		before := listTable(t)
		err := nl.Apply(ctx, elementBatch(c.n))
		nl.Close()
		switch {
		case c.loads && err != nil:
			t.Fatalf("%d commands: %v", c.n, err)
		case !c.loads && (err == nil || !strings.Contains(err.Error(), "does not fit the netlink send buffer")):
			t.Fatalf("%d commands: %v, want a batch too large for the buffer", c.n, err)
		case !c.loads && listTable(t) != before:
			t.Fatalf("%d commands: a refused batch changed the table", c.n)
		case forced != c.forced:
			t.Fatalf("%d commands: %d attempts to force the buffer, want %d", c.n, forced, c.forced)
		}
	}
	if !strings.Contains(listTable(t), "10.96.11.183 . tcp . 80 : accept") { // the 3000th
		t.Fatal("the 3000-command batch is missing")
	}
}

func batchBytes(t *testing.T, b Batch) int {
	t.Helper()
	msgs, err := encodeBatch(b)
	if err != nil {
		t.Fatal(err)
	}
	return wireSize(msgs)
}

func readInt(t *testing.T, path string) int {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	n, err := strconv.Atoi(strings.TrimSpace(string(data)))
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return n
}
