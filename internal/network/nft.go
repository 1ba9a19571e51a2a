package network

import (
	"fmt"
	"net/netip"

	"github.com/google/nftables"
	"github.com/google/nftables/expr"
	"github.com/google/nftables/userdata"
	"golang.org/x/sys/unix"
)

// TableName is the nftables table (family inet) holding the VM network's
// rules. The Services dataplane keeps its own table, so rebuilding this one
// never disturbs it.
const TableName = "vigil"

var table = &nftables.Table{Name: TableName, Family: nftables.TableFamilyINet}

// applyRules rebuilds the table in one nftables transaction: add (a no-op
// if it exists), delete, add again with its chains and rules. Packets see
// either the old table or the new one, and repeating it never duplicates a
// rule, so Setup converges however often it runs.
//
//	chain postrouting: nat, srcnat; ip saddr SUBNET oifname != BRIDGE masquerade
//	chain forward:     filter;      iifname BRIDGE accept; oifname BRIDGE accept
func applyRules(bridge string, subnet netip.Prefix) error {
	c, err := nftables.New()
	if err != nil {
		return fmt.Errorf("nftables: %w", err)
	}
	c.AddTable(table)
	c.DelTable(table)
	c.AddTable(table)

	accept := nftables.ChainPolicyAccept
	post := c.AddChain(&nftables.Chain{
		Name: "postrouting", Table: table, Type: nftables.ChainTypeNAT,
		Hooknum: nftables.ChainHookPostrouting, Priority: nftables.ChainPriorityNATSource, Policy: &accept,
	})
	c.AddRule(&nftables.Rule{Table: table, Chain: post, UserData: comment("vigil: guests' outbound NAT"),
		Exprs: concat(matchSourceSubnet(subnet), matchIfname(expr.MetaKeyOIFNAME, expr.CmpOpNeq, bridge), []expr.Any{&expr.Masq{}})})

	fwd := c.AddChain(&nftables.Chain{
		Name: "forward", Table: table, Type: nftables.ChainTypeFilter,
		Hooknum: nftables.ChainHookForward, Priority: nftables.ChainPriorityFilter, Policy: &accept,
	})
	for _, key := range []expr.MetaKey{expr.MetaKeyIIFNAME, expr.MetaKeyOIFNAME} {
		c.AddRule(&nftables.Rule{Table: table, Chain: fwd, UserData: comment("vigil: guest traffic"),
			Exprs: concat(matchIfname(key, expr.CmpOpEq, bridge), []expr.Any{&expr.Verdict{Kind: expr.VerdictAccept}})})
	}
	if err := c.Flush(); err != nil {
		return fmt.Errorf("install nftables table inet %s: %w", TableName, err)
	}
	return nil
}

// deleteRules removes the table; add-then-delete in one transaction makes a
// missing table no error.
func deleteRules() error {
	c, err := nftables.New()
	if err != nil {
		return fmt.Errorf("nftables: %w", err)
	}
	c.AddTable(table)
	c.DelTable(table)
	if err := c.Flush(); err != nil {
		return fmt.Errorf("delete nftables table inet %s: %w", TableName, err)
	}
	return nil
}

// matchSourceSubnet is `ip saddr SUBNET` in an inet table: the IPv4
// protocol check first, then the masked source address.
func matchSourceSubnet(subnet netip.Prefix) []expr.Any {
	mask := netmask(subnet)
	return []expr.Any{
		&expr.Meta{Key: expr.MetaKeyNFPROTO, Register: 1},
		&expr.Cmp{Op: expr.CmpOpEq, Register: 1, Data: []byte{unix.NFPROTO_IPV4}},
		&expr.Payload{DestRegister: 1, Base: expr.PayloadBaseNetworkHeader, Offset: 12, Len: 4},
		&expr.Bitwise{SourceRegister: 1, DestRegister: 1, Len: 4, Mask: mask, Xor: make([]byte, 4)},
		&expr.Cmp{Op: expr.CmpOpEq, Register: 1, Data: subnet.Masked().Addr().AsSlice()},
	}
}

// matchIfname compares the input or output interface name.
func matchIfname(key expr.MetaKey, op expr.CmpOp, name string) []expr.Any {
	return []expr.Any{
		&expr.Meta{Key: key, Register: 1},
		&expr.Cmp{Op: op, Register: 1, Data: ifnameBytes(name)},
	}
}

// ifnameBytes is an interface name as the kernel compares it: NUL padded to
// IFNAMSIZ.
func ifnameBytes(name string) []byte {
	b := make([]byte, unix.IFNAMSIZ)
	copy(b, name)
	return b
}

func comment(s string) []byte {
	return userdata.AppendString(nil, userdata.TypeComment, s)
}

func concat(parts ...[]expr.Any) []expr.Any {
	var out []expr.Any
	for _, p := range parts {
		out = append(out, p...)
	}
	return out
}
