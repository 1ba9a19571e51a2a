package proxy

import (
	"fmt"
	"maps"
	"slices"
	"strings"
)

const mapType = "type ipv4_addr . inet_proto . inet_service : verdict"

// renderRecreate is the whole table as one nft script that deletes any
// previous table and builds the new one in the same transaction. It
// always works, whatever state the table is in, so it is the fallback of
// renderReplace; but a packet crossing the chains at the instant of the
// commit may miss in the deleted table's maps, so it is not the first
// choice for a running system.
func renderRecreate(cfg Config, us map[string]*unit) string {
	var b strings.Builder
	fmt.Fprintf(&b, "add table ip %s\ndelete table ip %s\ntable ip %s {\n", Table, Table, Table)
	writeMap(&b, mapServices, elements(us, (*unit).dispatchVerdict))
	writeMap(&b, mapFilter, elements(us, (*unit).filterVerdict))
	for _, c := range allChains(cfg, us) {
		writeChain(&b, c.name, c.header, c.lines())
	}
	b.WriteString("}\n")
	return b.String()
}

// renderReplace makes the table exactly the wanted one in one transaction
// without deleting it: the maps are flushed and refilled (a key present
// before and after is found by every lookup, old generation or new), the
// chains whose content hash differs from existing (chain name: hash read
// from the kernel, see Runner.Chains) are flushed and refilled, unchanged
// chains are not touched at all, and chains no longer wanted are emptied,
// then deleted. On a daemon restart with nothing changed, only the maps'
// elements are rewritten, with the same keys and verdicts.
func renderReplace(cfg Config, us map[string]*unit, existing map[string]string) string {
	var b strings.Builder
	chains := allChains(cfg, us)
	fmt.Fprintf(&b, "table ip %s {\n", Table)
	writeMap(&b, mapServices, nil)
	writeMap(&b, mapFilter, nil)
	for _, c := range chains {
		writeChain(&b, c.name, c.header, nil)
	}
	b.WriteString("}\n")
	fmt.Fprintf(&b, "flush map ip %s %s\nflush map ip %s %s\n", Table, mapServices, Table, mapFilter)
	wanted := map[string]bool{}
	for _, c := range chains {
		wanted[c.name] = true
		have, ok := existing[c.name]
		if ok && have == c.hash() {
			continue
		}
		if ok {
			fmt.Fprintf(&b, "flush chain ip %s %s\n", Table, c.name)
		}
		for _, cmd := range ruleCommands(c) {
			fmt.Fprintln(&b, cmd)
		}
	}
	writeElements(&b, mapServices, elements(us, (*unit).dispatchVerdict))
	writeElements(&b, mapFilter, elements(us, (*unit).filterVerdict))
	var stale []string
	for _, n := range slices.Sorted(maps.Keys(existing)) {
		if !wanted[n] {
			stale = append(stale, n)
			fmt.Fprintf(&b, "flush chain ip %s %s\n", Table, n)
		}
	}
	for _, n := range stale {
		fmt.Fprintf(&b, "delete chain ip %s %s\n", Table, n)
	}
	return b.String()
}

func writeMap(b *strings.Builder, name string, elems []string) {
	fmt.Fprintf(b, "\tmap %s {\n\t\t%s\n", name, mapType)
	if len(elems) > 0 {
		fmt.Fprintf(b, "\t\telements = {\n\t\t\t%s\n\t\t}\n", strings.Join(elems, ",\n\t\t\t"))
	}
	b.WriteString("\t}\n")
}

func writeElements(b *strings.Builder, name string, elems []string) {
	if len(elems) > 0 {
		fmt.Fprintf(b, "add element ip %s %s {\n\t%s\n}\n", Table, name, strings.Join(elems, ",\n\t"))
	}
}

func writeChain(b *strings.Builder, name, header string, lines []string) {
	fmt.Fprintf(b, "\tchain %s {\n", name)
	if header != "" {
		fmt.Fprintf(b, "\t\t%s\n", header)
	}
	for _, l := range lines {
		fmt.Fprintf(b, "\t\t%s\n", l)
	}
	b.WriteString("\t}\n")
}

// renderDelete removes the table; adding it first makes a missing table
// no error.
func renderDelete() string {
	return fmt.Sprintf("add table ip %s\ndelete table ip %s\n", Table, Table)
}
