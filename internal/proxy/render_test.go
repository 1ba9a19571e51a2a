package proxy

import (
	"flag"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the golden files")

// golden compares got with testdata/name, or rewrites it with -update.
func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if got != string(want) {
		t.Fatalf("%s differs (run go test -update after checking):\n--- got\n%s\n--- want\n%s", path, got, want)
	}
}

var testConfig = Config{
	ServiceSubnet: netip.MustParsePrefix("10.96.0.0/16"),
	ClientSubnet:  netip.MustParsePrefix("10.89.0.0/16"),
}

func ip(s string) netip.Addr { return netip.MustParseAddr(s) }

func ep(s string, port uint16) Endpoint { return Endpoint{IP: ip(s), Port: port} }

// testState: web (two ports, two endpoints on http, an external IP), db
// (no ready endpoint: refused).
func testState() State {
	return State{
		"shop/web": {Namespace: "shop", Name: "web", Ports: []Port{
			{Name: "http", Protocol: "tcp", Port: 80, Addrs: []netip.Addr{ip("10.96.0.10"), ip("192.0.2.10")},
				Endpoints: []Endpoint{ep("10.89.0.5", 8080), ep("10.89.0.6", 8080)}},
			{Name: "dns", Protocol: "udp", Port: 53, Addrs: []netip.Addr{ip("10.96.0.10"), ip("192.0.2.10")},
				Endpoints: []Endpoint{ep("10.89.0.5", 5353)}},
		}},
		"shop/db": {Namespace: "shop", Name: "db", Ports: []Port{
			{Protocol: "tcp", Port: 5432, Addrs: []netip.Addr{ip("10.96.0.11")}},
		}},
	}
}

func TestRenderRecreateGolden(t *testing.T) {
	golden(t, "recreate.golden", Render(testConfig, testState()))
	golden(t, "recreate-empty.golden", Render(Config{}, State{}))
}

// chainHashes is what the kernel would list after loading us.
func chainHashes(us map[string]*unit) map[string]string {
	out := map[string]string{}
	for _, c := range allChains(testConfig, us) {
		out[c.name] = c.hash()
	}
	return out
}

func TestRenderReplaceGolden(t *testing.T) {
	us, _ := units(testConfig, testState())
	// A fresh table: every chain gets its rules.
	golden(t, "replace-fresh.golden", renderReplace(testConfig, us, map[string]string{}))
	// A restart with nothing changed: only the maps are refilled.
	same := renderReplace(testConfig, us, chainHashes(us))
	golden(t, "replace-unchanged.golden", same)
	if strings.Contains(same, "flush chain") || strings.Contains(same, "add rule") || strings.Contains(same, "delete") {
		t.Fatalf("an unchanged table had chains rewritten:\n%s", same)
	}
	// A restart after db went and web/http lost an endpoint while the
	// daemon was down; a chain without a hash comment is rewritten.
	existing := chainHashes(us)
	existing["nat-output"] = ""
	st := testState()
	delete(st, "shop/db")
	st["shop/web"].Ports[0].Endpoints = st["shop/web"].Ports[0].Endpoints[:1]
	now, _ := units(testConfig, st)
	golden(t, "replace-changed.golden", renderReplace(testConfig, now, existing))
}

func TestParseChains(t *testing.T) {
	listing := `{"nftables": [{"metainfo": {"version": "1.0.6"}}, {"table": {"family": "ip", "name": "vigil-services"}},
	{"chain": {"family": "ip", "table": "vigil-services", "name": "svc-a"}},
	{"chain": {"family": "ip", "table": "vigil-services", "name": "bare"}},
	{"rule": {"chain": "svc-a", "handle": 5, "comment": "vigil:0123456789ab", "expr": []}},
	{"rule": {"chain": "svc-a", "handle": 6, "comment": "vigil:ffffffffffff", "expr": []}},
	{"rule": {"chain": "bare", "handle": 7, "comment": "someone else's", "expr": []}}]}`
	got, err := parseChains([]byte(listing))
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got["svc-a"] != "0123456789ab" || got["bare"] != "" {
		t.Fatalf("parseChains = %v", got)
	}
}

// step renders the increment from one state to the next.
func step(have, want State) string {
	h, _ := units(testConfig, have)
	w, _ := units(testConfig, want)
	return renderDiff(h, w).Script()
}

func TestRenderDiffGolden(t *testing.T) {
	base := testState()

	// One endpoint of web/http stops being ready, another one is added.
	moved := testState()
	moved["shop/web"].Ports[0].Endpoints = []Endpoint{ep("10.89.0.6", 8080), ep("10.89.0.7", 8080)}
	// db gets its first ready endpoint: the filter flips to accept.
	moved["shop/db"].Ports[0].Endpoints = []Endpoint{ep("10.89.0.9", 5432)}
	golden(t, "diff-endpoints.golden", step(base, moved))

	// web loses its external IP; db goes; a new service comes.
	changed := testState()
	for i := range changed["shop/web"].Ports {
		changed["shop/web"].Ports[i].Addrs = []netip.Addr{ip("10.96.0.10")}
	}
	delete(changed, "shop/db")
	changed["shop/cache"] = &Service{Namespace: "shop", Name: "cache", Ports: []Port{
		{Protocol: "tcp", Port: 6379, Addrs: []netip.Addr{ip("10.96.0.12")}, Endpoints: []Endpoint{ep("10.89.0.8", 6379)}}}}
	golden(t, "diff-services.golden", step(base, changed))

	if got := step(base, testState()); got != "" {
		t.Fatalf("no change gave commands:\n%s", got)
	}
}

func TestConflictingAddressGoesToTheFirstService(t *testing.T) {
	st := testState()
	st["shop/zzz"] = &Service{Namespace: "shop", Name: "zzz", Ports: []Port{
		{Name: "http", Protocol: "tcp", Port: 80, Addrs: []netip.Addr{ip("10.96.0.20"), ip("192.0.2.10")}}}}
	us, conflicts := units(testConfig, st)
	z := us["svc-shop/zzz/tcp/http"]
	if z == nil || len(z.keys) != 1 || z.keys[0].String() != "10.96.0.20 . tcp . 80" {
		t.Fatalf("zzz keys %v, want only its cluster IP", z)
	}
	if len(conflicts) != 1 || !strings.Contains(conflicts[0], "192.0.2.10 . tcp . 80 of svc-shop/zzz/tcp/http is served by svc-shop/web/tcp/http") {
		t.Fatalf("conflicts %v", conflicts)
	}
}
