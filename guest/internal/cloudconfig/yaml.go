package cloudconfig

import (
	"fmt"
	"strings"
)

// Kind is the shape of a YAML node.
type Kind int

// The node kinds of the subset.
const (
	Null Kind = iota
	Scalar
	Sequence
	Mapping
)

func (k Kind) String() string {
	return [...]string{"null", "scalar", "sequence", "mapping"}[k]
}

// Node is a parsed YAML value. Scalars stay strings: the caller decides what
// "true" or "0644" mean for its field.
type Node struct {
	Kind  Kind
	Value string  // Scalar
	Items []*Node // Sequence
	Keys  []string
	Vals  []*Node // Mapping, parallel to Keys, in document order
	Line  int     // 1-based line where the node starts
}

// Get returns the value of key in a mapping, or nil.
func (n *Node) Get(key string) *Node {
	if n == nil || n.Kind != Mapping {
		return nil
	}
	for i, k := range n.Keys {
		if k == key {
			return n.Vals[i]
		}
	}
	return nil
}

type srcLine struct {
	num    int
	indent int
	text   string // the line without its indentation
	raw    string
}

type parser struct {
	lines []srcLine
	pos   int
}

// ParseYAML parses one YAML document of the supported subset.
func ParseYAML(src []byte) (*Node, error) {
	p := &parser{}
	for i, raw := range strings.Split(strings.ReplaceAll(string(src), "\r\n", "\n"), "\n") {
		trimmed := strings.TrimLeft(raw, " ")
		indent := len(raw) - len(trimmed)
		if strings.HasPrefix(trimmed, "\t") && strings.TrimSpace(trimmed) != "" {
			return nil, fmt.Errorf("line %d: tab in indentation", i+1)
		}
		p.lines = append(p.lines, srcLine{num: i + 1, indent: indent, text: strings.TrimRight(trimmed, " \t"), raw: raw})
	}
	p.skipBlank()
	if p.pos < len(p.lines) && (p.cur().text == "---" || strings.HasPrefix(p.cur().text, "--- #")) {
		p.pos++
	}
	n, err := p.parseNode(0)
	if err != nil {
		return nil, err
	}
	p.skipBlank()
	if p.pos < len(p.lines) && p.cur().text != "..." {
		return nil, fmt.Errorf("line %d: unexpected content %q", p.cur().num, p.cur().text)
	}
	return n, nil
}

func (p *parser) cur() *srcLine { return &p.lines[p.pos] }

func isBlank(l srcLine) bool { return l.text == "" || strings.HasPrefix(l.text, "#") }

func (p *parser) skipBlank() {
	for p.pos < len(p.lines) && isBlank(p.lines[p.pos]) {
		p.pos++
	}
}

func isSeqItem(text string) bool { return text == "-" || strings.HasPrefix(text, "- ") }

// parseNode parses the node starting at the next content line, whose lines
// must be indented at least minIndent.
func (p *parser) parseNode(minIndent int) (*Node, error) {
	p.skipBlank()
	if p.pos >= len(p.lines) || p.cur().indent < minIndent {
		return &Node{Kind: Null}, nil
	}
	l := p.cur()
	if isSeqItem(l.text) {
		return p.parseSeq(l.indent)
	}
	if _, _, ok := splitKey(l.text); ok {
		return p.parseMap(l.indent)
	}
	p.pos++
	return p.parseValue(l.text, l.num, minIndent)
}

func (p *parser) parseSeq(indent int) (*Node, error) {
	n := &Node{Kind: Sequence, Line: p.cur().num}
	for {
		p.skipBlank()
		if p.pos >= len(p.lines) || p.cur().indent < indent {
			return n, nil
		}
		l := p.cur()
		if l.indent == indent && !isSeqItem(l.text) {
			return n, nil // "key:\n- a\nnext: b": the list ended
		}
		if l.indent > indent {
			return nil, fmt.Errorf("line %d: expected a \"- \" item at column %d", l.num, indent+1)
		}
		rest := strings.TrimLeft(l.text[1:], " ")
		var item *Node
		var err error
		if rest == "" || strings.HasPrefix(rest, "#") {
			p.pos++
			item, err = p.parseNode(indent + 1)
		} else {
			// Re-read the rest of the line as if it started on its own line at its column.
			*l = srcLine{num: l.num, indent: indent + len(l.text) - len(rest), text: rest, raw: l.raw}
			item, err = p.parseNode(indent + 1)
		}
		if err != nil {
			return nil, err
		}
		n.Items = append(n.Items, item)
	}
}

func (p *parser) parseMap(indent int) (*Node, error) {
	n := &Node{Kind: Mapping, Line: p.cur().num}
	for {
		p.skipBlank()
		if p.pos >= len(p.lines) || p.cur().indent < indent {
			return n, nil
		}
		l := *p.cur()
		if l.indent > indent {
			return nil, fmt.Errorf("line %d: unexpected indentation", l.num)
		}
		key, rest, ok := splitKey(l.text)
		if !ok {
			return nil, fmt.Errorf("line %d: expected \"key: value\", got %q", l.num, l.text)
		}
		p.pos++
		val, err := p.parseMapValue(rest, l, indent)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", key, err)
		}
		n.Keys = append(n.Keys, key)
		n.Vals = append(n.Vals, val)
	}
}

func (p *parser) parseMapValue(rest string, l srcLine, indent int) (*Node, error) {
	if rest != "" && !strings.HasPrefix(rest, "#") {
		return p.parseValue(rest, l.num, indent+1)
	}
	p.skipBlank()
	if p.pos < len(p.lines) && p.cur().indent == indent && isSeqItem(p.cur().text) {
		return p.parseSeq(indent) // "key:\n- a\n- b" is valid YAML
	}
	return p.parseNode(indent + 1)
}

// splitKey splits "key: rest" (the key may be quoted). ok is false when the
// text is not a mapping entry.
func splitKey(text string) (key, rest string, ok bool) {
	if text == "" || strings.ContainsRune("[{#&*!|>%@`", rune(text[0])) || isSeqItem(text) {
		return "", "", false
	}
	if text[0] == '"' || text[0] == '\'' {
		k, after, err := unquote(text)
		if err != nil {
			return "", "", false
		}
		after = strings.TrimLeft(after, " ")
		if after == ":" || strings.HasPrefix(after, ": ") {
			return k, strings.TrimSpace(after[1:]), true
		}
		return "", "", false
	}
	for i := 0; i < len(text); i++ {
		if text[i] == '#' && i > 0 && text[i-1] == ' ' {
			return "", "", false
		}
		if text[i] == ':' && (i+1 == len(text) || text[i+1] == ' ') {
			return strings.TrimSpace(text[:i]), strings.TrimSpace(text[i+1:]), true
		}
	}
	return "", "", false
}
