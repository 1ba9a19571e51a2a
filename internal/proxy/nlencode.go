package proxy

import (
	"encoding/binary"
	"errors"
	"fmt"
	"net/netip"

	"github.com/google/nftables/expr"
	"github.com/mdlayher/netlink"
	"golang.org/x/sys/unix"
)

// The encoding of a Batch as nf_tables netlink messages, with the
// attributes and expressions nft sends for the same commands.

// nfgenmsg is the header every nf_tables message starts with.
func nfgenmsg(family uint8, resID uint16) []byte {
	return []byte{family, unix.NFNETLINK_V0, byte(resID >> 8), byte(resID)}
}

func nftMsg(typ int, flags netlink.HeaderFlags, attrs []netlink.Attribute) (netlink.Message, error) {
	data, err := netlink.MarshalAttributes(attrs)
	if err != nil {
		return netlink.Message{}, err
	}
	return netlink.Message{
		Header: netlink.Header{
			Type:  netlink.HeaderType(unix.NFNL_SUBSYS_NFTABLES<<8 | typ),
			Flags: netlink.Request | flags,
		},
		Data: append(nfgenmsg(unix.NFPROTO_IPV4, 0), data...),
	}, nil
}

// encodeBatch turns b into netlink messages between a batch begin and end.
func encodeBatch(b Batch) ([]netlink.Message, error) {
	edge := func(t int) netlink.Message {
		return netlink.Message{
			Header: netlink.Header{Type: netlink.HeaderType(t), Flags: netlink.Request},
			Data:   nfgenmsg(unix.AF_UNSPEC, unix.NFNL_SUBSYS_NFTABLES),
		}
	}
	e := encoder{msgs: []netlink.Message{edge(unix.NFNL_MSG_BATCH_BEGIN)}}
	for _, c := range b.cmds {
		if err := e.command(c); err != nil {
			return nil, fmt.Errorf("encode %q: %w", c, err)
		}
	}
	e.msgs[len(e.msgs)-1].Header.Flags |= netlink.Acknowledge
	return append(e.msgs, edge(unix.NFNL_MSG_BATCH_END)), nil
}

type encoder struct {
	msgs  []netlink.Message
	setID uint32 // the last anonymous map's id within the batch
}

func (e *encoder) add(typ int, flags netlink.HeaderFlags, attrs ...netlink.Attribute) error {
	m, err := nftMsg(typ, flags, attrs)
	if err != nil {
		return err
	}
	e.msgs = append(e.msgs, m)
	return nil
}

func str(typ uint16, s string) netlink.Attribute {
	return netlink.Attribute{Type: typ, Data: []byte(s + "\x00")}
}

func be32(typ uint16, v uint32) netlink.Attribute {
	return netlink.Attribute{Type: typ, Data: binary.BigEndian.AppendUint32(nil, v)}
}

func nested(typ uint16, attrs ...netlink.Attribute) (netlink.Attribute, error) {
	data, err := netlink.MarshalAttributes(attrs)
	return netlink.Attribute{Type: unix.NLA_F_NESTED | typ, Data: data}, err
}

func (e *encoder) command(c command) error {
	table := str(unix.NFTA_TABLE_NAME, Table) // NFTA_*_TABLE is 1 in every message
	switch c.kind {
	case cmdAddChain:
		return e.add(unix.NFT_MSG_NEWCHAIN, netlink.Create, table, str(unix.NFTA_CHAIN_NAME, c.chain))
	case cmdDeleteChain:
		return e.add(unix.NFT_MSG_DELCHAIN, 0, table, str(unix.NFTA_CHAIN_NAME, c.chain))
	case cmdFlushChain:
		return e.add(unix.NFT_MSG_DELRULE, 0, table, str(unix.NFTA_RULE_CHAIN, c.chain))
	case cmdAddElement:
		return e.elements(c.set, 0, []element{{key: c.key.bytes(), verdict: c.verdict}})
	case cmdDeleteElement:
		return e.elements(c.set, 0, []element{{key: c.key.bytes(), del: true}})
	case cmdAddRule:
		return e.rule(c)
	}
	return fmt.Errorf("unknown command kind %d", c.kind)
}

// element is one map element to add (with its verdict) or delete.
type element struct {
	key     []byte
	verdict verdict
	del     bool
}

// elements adds or deletes elements of a named map, or (setID != 0) fills
// the anonymous map created earlier in the batch.
func (e *encoder) elements(set string, setID uint32, elems []element) error {
	var list []netlink.Attribute
	for _, el := range elems {
		key, err := nested(unix.NFTA_SET_ELEM_KEY, netlink.Attribute{Type: unix.NFTA_DATA_VALUE, Data: el.key})
		if err != nil {
			return err
		}
		attrs := []netlink.Attribute{key}
		if !el.del {
			data, err := verdictData(unix.NFTA_SET_ELEM_DATA, el.verdict)
			if err != nil {
				return err
			}
			attrs = append(attrs, data)
		}
		item, err := nested(unix.NFTA_LIST_ELEM, attrs...)
		if err != nil {
			return err
		}
		list = append(list, item)
	}
	elements, err := nested(unix.NFTA_SET_ELEM_LIST_ELEMENTS, list...)
	if err != nil {
		return err
	}
	attrs := []netlink.Attribute{str(unix.NFTA_SET_ELEM_LIST_TABLE, Table), str(unix.NFTA_SET_ELEM_LIST_SET, set)}
	if setID != 0 {
		attrs = append(attrs, be32(unix.NFTA_SET_ELEM_LIST_SET_ID, setID))
	}
	attrs = append(attrs, elements)
	if elems[0].del {
		return e.add(unix.NFT_MSG_DELSETELEM, 0, attrs...)
	}
	return e.add(unix.NFT_MSG_NEWSETELEM, netlink.Create, attrs...)
}

// verdictData is a verdict as set element data.
func verdictData(typ uint16, v verdict) (netlink.Attribute, error) {
	code := int32(1) // NF_ACCEPT
	switch v.kind {
	case verdictJump:
		code = unix.NFT_JUMP
	case verdictGoto:
		code = unix.NFT_GOTO
	}
	attrs := []netlink.Attribute{be32(unix.NFTA_VERDICT_CODE, uint32(code))}
	if v.chain != "" {
		attrs = append(attrs, str(unix.NFTA_VERDICT_CHAIN, v.chain))
	}
	inner, err := nested(unix.NFTA_DATA_VERDICT, attrs...)
	if err != nil {
		return netlink.Attribute{}, err
	}
	return nested(typ, inner)
}

// bytes is the key as the kernel stores it: each field in a 4-byte slot,
// in network byte order.
func (k mapKey) bytes() []byte {
	b := make([]byte, 12)
	copy(b, k.addr.AsSlice())
	b[4] = protoNumber(k.proto)
	binary.BigEndian.PutUint16(b[8:], k.port)
	return b
}

func protoNumber(p string) byte {
	if p == "udp" {
		return unix.IPPROTO_UDP
	}
	return unix.IPPROTO_TCP
}

// rule adds a rule at the end of its chain.
func (e *encoder) rule(c command) error {
	exprs, err := e.exprs(c.rule)
	if err != nil {
		return err
	}
	var list []netlink.Attribute
	for _, x := range exprs {
		data, err := expr.Marshal(unix.NFPROTO_IPV4, x)
		if err != nil {
			return err
		}
		list = append(list, netlink.Attribute{Type: unix.NLA_F_NESTED | unix.NFTA_LIST_ELEM, Data: data})
	}
	exprList, err := nested(unix.NFTA_RULE_EXPRESSIONS, list...)
	if err != nil {
		return err
	}
	attrs := []netlink.Attribute{str(unix.NFTA_RULE_TABLE, Table), str(unix.NFTA_RULE_CHAIN, c.chain), exprList}
	if c.comment != "" {
		// nft's rule comment: a TLV of type 0 (comment), NUL-terminated.
		text := append([]byte(c.comment), 0)
		attrs = append(attrs, netlink.Attribute{Type: unix.NFTA_RULE_USERDATA, Data: append([]byte{0, byte(len(text))}, text...)})
	}
	return e.add(unix.NFT_MSG_NEWRULE, netlink.Create|netlink.Append, attrs...)
}

// exprs are the expressions nft generates for r. A spread rule first
// creates its anonymous verdict map in the batch.
func (e *encoder) exprs(r rule) ([]expr.Any, error) {
	jumpMasq := &expr.Verdict{Kind: expr.VerdictJump, Chain: chainMarkMasq}
	switch r.kind {
	case ruleMasqFrom:
		return append(prefixMatch(r.from), jumpMasq), nil
	case ruleMasqLocal:
		return []expr.Any{
			&expr.Fib{Register: 1, FlagSADDR: true, ResultADDRTYPE: true},
			&expr.Cmp{Op: expr.CmpOpEq, Register: 1, Data: binary.NativeEndian.AppendUint32(nil, unix.RTN_LOCAL)},
			jumpMasq,
		}, nil
	case ruleDNAT:
		return []expr.Any{
			&expr.Meta{Key: expr.MetaKeyL4PROTO, Register: 1},
			&expr.Cmp{Op: expr.CmpOpEq, Register: 1, Data: []byte{protoNumber(r.proto)}},
			&expr.Immediate{Register: 1, Data: r.to.IP.AsSlice()},
			&expr.Immediate{Register: 2, Data: binary.BigEndian.AppendUint16(nil, r.to.Port)},
			&expr.NAT{Type: expr.NATTypeDestNAT, Family: unix.NFPROTO_IPV4, RegAddrMin: 1, RegProtoMin: 2, Specified: true},
		}, nil
	case ruleSpread:
		if len(r.targets) == 0 {
			return nil, errors.New("a spread rule without targets")
		}
		const anonMap = "__map%d" // the kernel names it
		if err := e.anonymousMap(anonMap, r.targets); err != nil {
			return nil, err
		}
		return []expr.Any{
			&expr.Numgen{Register: 1, Modulus: uint32(len(r.targets)), Type: unix.NFT_NG_RANDOM},
			&expr.Lookup{SourceRegister: 1, DestRegister: 0, IsDestRegSet: true, SetName: anonMap, SetID: e.setID},
		}, nil
	}
	return nil, fmt.Errorf("rule %q has no netlink form", r)
}

// prefixMatch is `ip saddr PREFIX` as nft compiles it: a whole-byte prefix
// loads and compares just its bytes; any other loads the address, masks
// it and compares.
func prefixMatch(p netip.Prefix) []expr.Any {
	addr := p.Masked().Addr().AsSlice()
	load := func(n uint32) *expr.Payload {
		return &expr.Payload{OperationType: expr.PayloadLoad, DestRegister: 1, Base: expr.PayloadBaseNetworkHeader, Offset: 12, Len: n}
	}
	if bits := p.Bits(); bits > 0 && bits%8 == 0 {
		return []expr.Any{load(uint32(bits / 8)), &expr.Cmp{Op: expr.CmpOpEq, Register: 1, Data: addr[:bits/8]}}
	}
	mask := binary.BigEndian.AppendUint32(nil, ^uint32(0)<<(32-p.Bits()))
	if p.Bits() == 0 {
		mask = make([]byte, 4)
	}
	return []expr.Any{
		load(4),
		&expr.Bitwise{SourceRegister: 1, DestRegister: 1, Len: 4, Mask: mask, Xor: make([]byte, 4)},
		&expr.Cmp{Op: expr.CmpOpEq, Register: 1, Data: addr},
	}
}

// anonymousMap creates the constant map a spread rule looks its slot up
// in (slot i: goto targets[i]) and fills it, as nft does for an inline
// vmap. The rule that uses it binds it; it goes when the rule goes.
func (e *encoder) anonymousMap(name string, targets []string) error {
	e.setID++
	desc, err := nested(unix.NFTA_SET_DESC, be32(unix.NFTA_SET_DESC_SIZE, uint32(len(targets))))
	if err != nil {
		return err
	}
	// The key is numgen's result, an integer in host byte order: user data
	// type 0 (key byte order) = 1 (host) makes nft print the slots as
	// numbers.
	udata := []byte{0, 4}
	udata = binary.NativeEndian.AppendUint32(udata, 1)
	if err := e.add(unix.NFT_MSG_NEWSET, netlink.Create,
		str(unix.NFTA_SET_TABLE, Table),
		str(unix.NFTA_SET_NAME, name),
		be32(unix.NFTA_SET_FLAGS, unix.NFT_SET_ANONYMOUS|unix.NFT_SET_CONSTANT|unix.NFT_SET_MAP),
		be32(unix.NFTA_SET_KEY_TYPE, 4), // nft's "integer"
		be32(unix.NFTA_SET_KEY_LEN, 4),
		be32(unix.NFTA_SET_DATA_TYPE, unix.NFT_DATA_VERDICT),
		be32(unix.NFTA_SET_DATA_LEN, 0),
		be32(unix.NFTA_SET_ID, e.setID),
		desc,
		netlink.Attribute{Type: unix.NFTA_SET_USERDATA, Data: udata},
	); err != nil {
		return err
	}
	elems := make([]element, len(targets))
	for i, t := range targets {
		elems[i] = element{key: binary.NativeEndian.AppendUint32(nil, uint32(i)), verdict: verdict{kind: verdictGoto, chain: t}}
	}
	return e.elements(name, e.setID, elems)
}
