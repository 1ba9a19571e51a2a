package proxy

import (
	"crypto/sha256"
	"encoding/hex"
	"maps"
	"net/netip"
	"slices"
	"strings"
)

// Config is what the rules need besides the Services.
type Config struct {
	// ServiceSubnet: a new connection to an address of it that no Service
	// port matches is refused. The zero value refuses nothing extra.
	ServiceSubnet netip.Prefix
	// ClientSubnet is the VMs' network: connections from it are
	// masqueraded, so that replies of a backend on the same bridge go back
	// through the host (and a VM reaching a Service backed by itself
	// works). The zero value masquerades host-originated traffic only.
	ClientSubnet netip.Prefix
}

// hashPrefix starts the comment on a chain's first rule that carries the
// hash of the chain's content: a restarted dataplane reads it back to
// leave chains that are already right untouched.
const hashPrefix = "vigil:"

// chainDef is one chain: a base chain's hook declaration (header) and its
// rules.
type chainDef struct {
	name, header string
	rules        []rule
	sum          string // the content hash once sealed, else ""
}

// sealed is c with its content hash computed once: the chains of units
// are compared by hash on every sync.
func (c chainDef) sealed() chainDef {
	c.sum = c.hash()
	return c
}

// hash identifies the chain's content.
func (c *chainDef) hash() string {
	if c.sum != "" {
		return c.sum
	}
	h := sha256.New()
	h.Write([]byte(c.header))
	for _, r := range c.rules {
		h.Write([]byte("\n" + r.String()))
	}
	return hex.EncodeToString(h.Sum(nil)[:6])
}

// comment is what the first rule carries: the content hash.
func (c *chainDef) comment() string { return hashPrefix + c.hash() }

// lines are the rules as loaded, in nft syntax: the first carries the
// content hash.
func (c *chainDef) lines() []string {
	out := make([]string, len(c.rules))
	for i, r := range c.rules {
		out[i] = r.String()
	}
	if len(out) > 0 {
		out[0] += ` comment "` + c.comment() + `"`
	}
	return out
}

// unit is what one Service port becomes: its map keys, its service chain
// and the endpoint chains that chain jumps to.
type unit struct {
	svc   chainDef
	eps   []chainDef // sorted by name
	keys  []mapKey   // one per address
	ready bool       // has endpoints: the filter accepts, else rejects
}

// units turns a State into units by service chain name. An address, proto
// and port claimed by two Services (external IPs may overlap) goes to the
// first in key order; the others are reported in conflicts and do without
// that key.
func units(cfg Config, st State) (map[string]*unit, []string) {
	return unitCache{}.build(cfg, st)
}

// unitCache keeps the units built for each Service of the last State, so
// that a sync rebuilds only the Services that are new objects: the
// Proxy hands over a new *Service for each one it recomputes and the
// same pointer for the others, which must not change.
type unitCache map[string]builtUnits

type builtUnits struct {
	svc   *Service
	units []*unit
}

func (c unitCache) build(cfg Config, st State) (map[string]*unit, []string) {
	out := map[string]*unit{}
	claimed := map[mapKey]string{}
	var conflicts []string
	for key := range c {
		if _, ok := st[key]; !ok {
			delete(c, key)
		}
	}
	for _, key := range slices.Sorted(maps.Keys(st)) {
		s := st[key]
		b, ok := c[key]
		if !ok || b.svc != s {
			b = builtUnits{svc: s}
			for i := range s.Ports {
				b.units = append(b.units, newUnit(cfg, s, &s.Ports[i]))
			}
			c[key] = b
		}
		for _, u := range b.units {
			if u = claim(u, claimed, &conflicts); len(u.keys) > 0 {
				out[u.svc.name] = u
			}
		}
	}
	return out, conflicts
}

// claim records u's keys as taken by it; a key another unit took first is
// reported and left out of a copy of u (the cached u stays whole).
func claim(u *unit, claimed map[mapKey]string, conflicts *[]string) *unit {
	var kept []mapKey
	for i, k := range u.keys {
		owner, taken := claimed[k]
		if !taken {
			claimed[k] = u.svc.name
			if kept != nil {
				kept = append(kept, k)
			}
			continue
		}
		*conflicts = append(*conflicts, k.String()+" of "+u.svc.name+" is served by "+owner)
		if kept == nil {
			kept = append(make([]mapKey, 0, len(u.keys)), u.keys[:i]...)
		}
	}
	if kept == nil {
		return u
	}
	cp := *u
	cp.keys = kept
	return &cp
}

func newUnit(cfg Config, s *Service, p *Port) *unit {
	u := &unit{svc: chainDef{name: svcChain(s, p)}, ready: len(p.Endpoints) > 0}
	for _, a := range p.Addrs {
		u.keys = append(u.keys, mapKey{addr: a, proto: p.Protocol, port: p.Port})
	}
	if cfg.ClientSubnet.IsValid() {
		u.svc.rules = append(u.svc.rules, rule{kind: ruleMasqFrom, from: cfg.ClientSubnet.Masked()})
	}
	u.svc.rules = append(u.svc.rules, rule{kind: ruleMasqLocal})
	var targets []string
	for _, e := range p.Endpoints {
		c := epChain(s, p, e)
		u.eps = append(u.eps, chainDef{name: c, rules: []rule{{kind: ruleDNAT, proto: p.Protocol, to: e}}}.sealed())
		targets = append(targets, c)
	}
	if len(targets) > 0 {
		u.svc.rules = append(u.svc.rules, rule{kind: ruleSpread, targets: targets})
	}
	u.svc = u.svc.sealed()
	slices.SortFunc(u.eps, func(a, b chainDef) int { return strings.Compare(a.name, b.name) })
	return u
}

// filterVerdict is the service-filter map's verdict for a unit's keys.
func (u *unit) filterVerdict() verdict {
	if u.ready {
		return verdict{kind: verdictAccept}
	}
	return verdict{kind: verdictGoto, chain: chainReject}
}

// dispatchVerdict is the service-ips map's verdict for a unit's keys. A
// jump, not a goto: a packet the service chain does not DNAT comes back
// to the dispatching chain, whose next rule drops it (see baseChains).
func (u *unit) dispatchVerdict() verdict { return verdict{kind: verdictJump, chain: u.svc.name} }

// Hook priorities: the filter check runs before DNAT (dstnat is -100), so
// a refused connection never reaches the NAT chains.
const (
	prioFilter = "-110"
	prioDstNAT = "-100"
	prioSrcNAT = "100"
)

// baseChains are the fixed chains: the filter check on new connections
// (prerouting for VMs and outside clients, output for the host), the DNAT
// dispatch through the service-ips map, and masquerading of marked
// packets.
//
// After the dispatch, a packet for the service subnet that no endpoint
// chain rewrote is dropped, not passed on: that only happens to the first
// packet of a connection that raced a rule change (a packet that entered
// the chains before a commit looks its sets up in the new generation, so
// an endpoint map replaced under it reads empty). Dropping it lets the
// client's retransmission take the new rules; passing it would tie the
// connection to "no NAT" in conntrack for good.
func baseChains(cfg Config) []chainDef {
	check := "ct state new jump " + chainFilterCheck
	dispatch := []string{"ip daddr . meta l4proto . th dport vmap @" + mapServices}
	filter := []string{"ip daddr . meta l4proto . th dport vmap @" + mapFilter}
	if cfg.ServiceSubnet.IsValid() {
		subnet := cfg.ServiceSubnet.Masked().String()
		dispatch = append(dispatch, "ip daddr "+subnet+" drop")
		filter = append(filter, "ip daddr "+subnet+" goto "+chainReject)
	}
	return []chainDef{
		{name: "filter-prerouting", header: "type filter hook prerouting priority " + prioFilter + "; policy accept;", rules: textRules(check)},
		{name: "filter-output", header: "type filter hook output priority " + prioFilter + "; policy accept;", rules: textRules(check)},
		{name: chainFilterCheck, rules: textRules(filter...)},
		{name: chainReject, rules: textRules("meta l4proto tcp reject with tcp reset", "reject")},
		{name: "nat-prerouting", header: "type nat hook prerouting priority " + prioDstNAT + "; policy accept;", rules: textRules(dispatch...)},
		{name: "nat-output", header: "type nat hook output priority " + prioDstNAT + "; policy accept;", rules: textRules(dispatch...)},
		{name: "nat-postrouting", header: "type nat hook postrouting priority " + prioSrcNAT + "; policy accept;", rules: textRules(
			"meta mark & "+masqMark+" == 0 return",
			"meta mark set meta mark ^ "+masqMark,
			"masquerade fully-random",
		)},
		{name: chainMarkMasq, rules: textRules("meta mark set meta mark | " + masqMark)},
	}
}

// allChains lists every chain of the table in a fixed order: the base
// chains, then per unit its service chain and endpoint chains.
func allChains(cfg Config, us map[string]*unit) []chainDef {
	out := baseChains(cfg)
	for _, n := range slices.Sorted(maps.Keys(us)) {
		out = append(out, us[n].svc)
		out = append(out, us[n].eps...)
	}
	return out
}

// elements lists the map elements "KEY : VERDICT" of all units, in unit
// order.
func elements(us map[string]*unit, verdictOf func(*unit) verdict) []string {
	var out []string
	for _, n := range slices.Sorted(maps.Keys(us)) {
		for _, k := range us[n].keys {
			out = append(out, k.String()+" : "+verdictOf(us[n]).String())
		}
	}
	return out
}
