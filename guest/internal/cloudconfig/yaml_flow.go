package cloudconfig

import (
	"fmt"
	"strings"
)

// parseFlowLines gathers a flow collection ("[a, b]", "{k: v}") that may
// continue over following lines until its brackets balance, then parses it.
func (p *parser) parseFlowLines(text string, num, minIndent int) (*Node, error) {
	src := text
	for !flowClosed(src) {
		if p.pos >= len(p.lines) || (p.cur().text != "" && p.cur().indent < minIndent) {
			return nil, fmt.Errorf("line %d: unterminated flow collection", num)
		}
		src += " " + p.cur().text
		p.pos++
	}
	f := &flow{s: src, line: num}
	n, err := f.value()
	if err != nil {
		return nil, err
	}
	f.space()
	if rest := f.s[f.i:]; rest != "" && !strings.HasPrefix(rest, "#") {
		return nil, fmt.Errorf("line %d: text after flow collection: %q", num, rest)
	}
	return n, nil
}

// flowClosed reports whether every bracket opened in s outside quotes is closed.
func flowClosed(s string) bool {
	depth, quote := 0, byte(0)
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case quote != 0:
			if c == '\\' && quote == '"' {
				i++
			} else if c == quote {
				quote = 0
			}
		case c == '"' || c == '\'':
			quote = c
		case c == '[' || c == '{':
			depth++
		case c == ']' || c == '}':
			depth--
		}
	}
	return depth <= 0 && quote == 0
}

type flow struct {
	s    string
	i    int
	line int
}

func (f *flow) space() {
	for f.i < len(f.s) && (f.s[f.i] == ' ' || f.s[f.i] == '\t') {
		f.i++
	}
}

func (f *flow) errorf(format string, args ...any) error {
	return fmt.Errorf("line %d: flow collection: %s", f.line, fmt.Sprintf(format, args...))
}

func (f *flow) value() (*Node, error) {
	f.space()
	if f.i >= len(f.s) {
		return nil, f.errorf("unexpected end")
	}
	switch f.s[f.i] {
	case '[':
		return f.seq()
	case '{':
		return f.mapping()
	case '"', '\'':
		v, after, err := unquote(f.s[f.i:])
		if err != nil {
			return nil, f.errorf("%v", err)
		}
		f.i = len(f.s) - len(after)
		return &Node{Kind: Scalar, Value: v, Line: f.line}, nil
	}
	return f.plain(), nil
}

// plain reads a plain scalar up to the next ",", "]", "}" or ": ".
func (f *flow) plain() *Node {
	start := f.i
	for f.i < len(f.s) {
		c := f.s[f.i]
		if c == ',' || c == ']' || c == '}' || c == ':' && (f.i+1 == len(f.s) || strings.ContainsRune(" ,]}", rune(f.s[f.i+1]))) {
			break
		}
		f.i++
	}
	v := strings.TrimSpace(f.s[start:f.i])
	if v == "" || v == "~" || v == "null" {
		return &Node{Kind: Null, Line: f.line}
	}
	return &Node{Kind: Scalar, Value: v, Line: f.line}
}

func (f *flow) seq() (*Node, error) {
	n := &Node{Kind: Sequence, Line: f.line}
	f.i++ // '['
	for {
		f.space()
		if f.i < len(f.s) && f.s[f.i] == ']' {
			f.i++
			return n, nil
		}
		item, err := f.value()
		if err != nil {
			return nil, err
		}
		n.Items = append(n.Items, item)
		if err := f.separator(']'); err != nil {
			return nil, err
		}
	}
}

func (f *flow) mapping() (*Node, error) {
	n := &Node{Kind: Mapping, Line: f.line}
	f.i++ // '{'
	for {
		f.space()
		if f.i < len(f.s) && f.s[f.i] == '}' {
			f.i++
			return n, nil
		}
		key, err := f.value()
		if err != nil {
			return nil, err
		}
		f.space()
		val := &Node{Kind: Null, Line: f.line}
		if f.i < len(f.s) && f.s[f.i] == ':' {
			f.i++
			if val, err = f.value(); err != nil {
				return nil, err
			}
		}
		n.Keys = append(n.Keys, key.Value)
		n.Vals = append(n.Vals, val)
		if err := f.separator('}'); err != nil {
			return nil, err
		}
	}
}

// separator consumes a "," or leaves the closing bracket for the caller.
func (f *flow) separator(closer byte) error {
	f.space()
	switch {
	case f.i >= len(f.s):
		return f.errorf("missing %q", closer)
	case f.s[f.i] == ',':
		f.i++
	case f.s[f.i] != closer:
		return f.errorf("expected \",\" or %q at %q", closer, f.s[f.i:])
	}
	return nil
}
