package network

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/netip"
	"os"
	"os/exec"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/vishvananda/netlink"

	"vigil.dev/vigil/internal/network/nstest"
)

// ioTimeout bounds real network I/O in tests (DHCP exchanges, TCP
// connects): generous, as they take milliseconds when things work.
const ioTimeout = 20 * time.Second

var testSeq atomic.Int32

// testConfig gives each test its own bridge and /24, so tests never see
// each other's state even inside the one private namespace.
func testConfig(t *testing.T) Config {
	t.Helper()
	nstest.Require(t)
	n := testSeq.Add(1)
	return Config{
		Bridge: fmt.Sprintf("vtbr%d", n),
		Subnet: netip.MustParsePrefix(fmt.Sprintf("10.89.%d.0/24", n)),
		DNS:    []netip.Addr{netip.MustParseAddr("192.0.2.53")},
		Logger: testLogger(),
	}
}

func testLogger() *slog.Logger {
	var w io.Writer = io.Discard
	if testing.Verbose() {
		w = os.Stderr
	}
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

// setupHost runs Setup and, when the test ends, Close and Teardown.
func setupHost(t *testing.T, cfg Config) *Host {
	t.Helper()
	h, err := Setup(context.Background(), cfg)
	if err != nil {
		t.Fatalf("Setup: %v", err)
	}
	t.Cleanup(func() {
		if err := h.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
		if err := Teardown(cfg); err != nil {
			t.Errorf("Teardown: %v", err)
		}
	})
	return h
}

// nftTable lists the table the way an operator would see it.
func nftTable(t *testing.T) string {
	t.Helper()
	return command(t, "nft", "list", "table", "inet", TableName)
}

// command runs a program in the test's namespace; failure fails the test.
func command(t *testing.T, name string, args ...string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), ioTimeout)
	defer cancel()
	out, err := exec.CommandContext(ctx, name, args...).CombinedOutput()
	if err != nil {
		t.Fatalf("%s %s: %v: %s", name, strings.Join(args, " "), err, out)
	}
	return string(out)
}

func link(t *testing.T, name string) netlink.Link {
	t.Helper()
	l, err := netlink.LinkByName(name)
	if err != nil {
		t.Fatalf("interface %s: %v", name, err)
	}
	return l
}

func bridgeAddrs(t *testing.T, bridge string) []string {
	t.Helper()
	addrs, err := netlink.AddrList(link(t, bridge), netlink.FAMILY_V4)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, a := range addrs {
		out = append(out, a.IPNet.String())
	}
	return out
}
