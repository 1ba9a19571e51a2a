package proxy

import "strings"

// Batch is an incremental update of the table: commands for one nftables
// transaction, in the order the kernel needs them (see renderDiff). It
// reads as an nft script (Script) and loads as one netlink batch
// (Netlink.Apply).
type Batch struct {
	cmds []command
}

// Len is the number of commands; 0 means nothing to do.
func (b Batch) Len() int { return len(b.cmds) }

// Script is the batch in nft syntax, one command a line.
func (b Batch) Script() string {
	var s strings.Builder
	for _, c := range b.cmds {
		s.WriteString(c.String())
		s.WriteByte('\n')
	}
	return s.String()
}

// cmdKind is what a command does.
type cmdKind uint8

const (
	cmdAddElement    cmdKind = iota // add element MAP { KEY : VERDICT }
	cmdDeleteElement                // delete element MAP { KEY }
	cmdAddChain                     // add chain CHAIN
	cmdFlushChain                   // flush chain CHAIN
	cmdDeleteChain                  // delete chain CHAIN (empty, unreferenced)
	cmdAddRule                      // add rule CHAIN RULE [comment "..."]
)

// command is one nft command on the table.
type command struct {
	kind    cmdKind
	set     string  // element commands: the map
	key     mapKey  // element commands
	verdict verdict // cmdAddElement
	chain   string  // chain and rule commands
	rule    rule    // cmdAddRule
	comment string  // cmdAddRule: "" for none
}

func (c command) String() string {
	prefix := " ip " + Table + " "
	switch c.kind {
	case cmdAddElement:
		return "add element" + prefix + c.set + " { " + c.key.String() + " : " + c.verdict.String() + " }"
	case cmdDeleteElement:
		return "delete element" + prefix + c.set + " { " + c.key.String() + " }"
	case cmdAddChain:
		return "add chain" + prefix + c.chain
	case cmdFlushChain:
		return "flush chain" + prefix + c.chain
	case cmdDeleteChain:
		return "delete chain" + prefix + c.chain
	default:
		line := "add rule" + prefix + c.chain + " " + c.rule.String()
		if c.comment != "" {
			line += ` comment "` + c.comment + `"`
		}
		return line
	}
}

// chainCommands create a chain with its rules; the first carries the
// content hash.
func chainCommands(c chainDef) []command {
	out := []command{{kind: cmdAddChain, chain: c.name}}
	return append(out, ruleCommands(c)...)
}

// ruleCommands add a chain's rules to it.
func ruleCommands(c chainDef) []command {
	out := make([]command, len(c.rules))
	for i, r := range c.rules {
		out[i] = command{kind: cmdAddRule, chain: c.name, rule: r}
	}
	if len(out) > 0 {
		out[0].comment = c.comment()
	}
	return out
}
