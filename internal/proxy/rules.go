package proxy

import (
	"net/netip"
	"strings"
)

// mapKey is a key of the service-ips and service-filter maps: a Service
// address, protocol and port ("10.96.0.10 . tcp . 80").
type mapKey struct {
	addr  netip.Addr
	proto string // "tcp" or "udp"
	port  uint16
}

func (k mapKey) String() string { return k.addr.String() + " . " + k.proto + " . " + itoa(int(k.port)) }

// verdictKind is what a map element or rule does with a packet.
type verdictKind uint8

const (
	verdictAccept verdictKind = iota
	verdictJump
	verdictGoto
)

// verdict is a map element's value: accept, or a jump or goto to a chain.
type verdict struct {
	kind  verdictKind
	chain string
}

func (v verdict) String() string {
	switch v.kind {
	case verdictJump:
		return "jump " + v.chain
	case verdictGoto:
		return "goto " + v.chain
	default:
		return "accept"
	}
}

// ruleKind tells the forms a rule of a Service or endpoint chain takes.
// Those chains change while the daemon runs, so their rules are data
// that both renderers read: nft syntax (String) for scripts, golden files
// and operators, and netlink expressions (see netlink.go) for the
// incremental updates. The fixed chains' rules are nft syntax only
// (ruleText): they are loaded by nft scripts alone.
type ruleKind uint8

const (
	ruleText      ruleKind = iota // text, as written
	ruleMasqFrom                  // ip saddr PREFIX jump mark-for-masquerade
	ruleMasqLocal                 // fib saddr type local jump mark-for-masquerade
	ruleSpread                    // numgen random mod N vmap { I : goto TARGET_I, ... }
	ruleDNAT                      // meta l4proto PROTO dnat to IP:PORT
)

// rule is one rule of a chain.
type rule struct {
	kind    ruleKind
	text    string       // ruleText
	from    netip.Prefix // ruleMasqFrom, masked
	targets []string     // ruleSpread: the endpoint chains, in slot order
	proto   string       // ruleDNAT
	to      Endpoint     // ruleDNAT
}

func textRules(lines ...string) []rule {
	out := make([]rule, len(lines))
	for i, l := range lines {
		out[i] = rule{kind: ruleText, text: l}
	}
	return out
}

func (r rule) String() string {
	switch r.kind {
	case ruleMasqFrom:
		return "ip saddr " + r.from.String() + " jump " + chainMarkMasq
	case ruleMasqLocal:
		return "fib saddr type local jump " + chainMarkMasq
	case ruleSpread:
		slots := make([]string, len(r.targets))
		for i, t := range r.targets {
			slots[i] = itoa(i) + " : goto " + t
		}
		return "numgen random mod " + itoa(len(r.targets)) + " vmap { " + strings.Join(slots, ", ") + " }"
	case ruleDNAT:
		return "meta l4proto " + r.proto + " dnat to " + r.to.String()
	default:
		return r.text
	}
}
