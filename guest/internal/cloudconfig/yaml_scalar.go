package cloudconfig

import (
	"fmt"
	"strconv"
	"strings"
)

// parseValue parses a value that starts on the current line with text (the
// line itself is already consumed). Continuation lines need minIndent.
func (p *parser) parseValue(text string, num, minIndent int) (*Node, error) {
	switch text[0] {
	case '|', '>':
		return p.parseBlockScalar(text, num, minIndent)
	case '"', '\'':
		return p.parseQuoted(text, num, minIndent)
	case '[', '{':
		return p.parseFlowLines(text, num, minIndent)
	}
	return p.parsePlain(text, num, minIndent), nil
}

// stripComment cuts a " #" comment off a plain scalar.
func stripComment(s string) string {
	for i := 1; i < len(s); i++ {
		if s[i] == '#' && (s[i-1] == ' ' || s[i-1] == '\t') {
			return strings.TrimRight(s[:i], " \t")
		}
	}
	return s
}

// parsePlain folds a plain scalar over its continuation lines.
func (p *parser) parsePlain(text string, num, minIndent int) *Node {
	var b strings.Builder
	b.WriteString(stripComment(text))
	pendingBreaks := 0
	for p.pos < len(p.lines) {
		l := p.cur()
		if l.text == "" {
			pendingBreaks++
			p.pos++
			continue
		}
		if l.indent < minIndent || strings.HasPrefix(l.text, "#") {
			break
		}
		if pendingBreaks > 0 {
			b.WriteString(strings.Repeat("\n", pendingBreaks))
		} else {
			b.WriteByte(' ')
		}
		pendingBreaks = 0
		b.WriteString(stripComment(l.text))
		p.pos++
	}
	p.pos -= pendingBreaks // trailing blank lines are not part of the scalar
	v := b.String()
	if v == "~" || v == "null" {
		return &Node{Kind: Null, Line: num}
	}
	return &Node{Kind: Scalar, Value: v, Line: num}
}

// parseQuoted reads a quoted scalar that may span lines.
func (p *parser) parseQuoted(text string, num, minIndent int) (*Node, error) {
	for {
		v, after, err := unquote(text)
		if err == nil {
			if after = strings.TrimSpace(after); after != "" && !strings.HasPrefix(after, "#") {
				return nil, fmt.Errorf("line %d: text after closing quote: %q", num, after)
			}
			return &Node{Kind: Scalar, Value: v, Line: num}, nil
		}
		if p.pos >= len(p.lines) {
			return nil, fmt.Errorf("line %d: unterminated quoted string", num)
		}
		next := p.cur()
		p.pos++
		if next.text == "" {
			text += "\n"
		} else if strings.HasSuffix(text, "\n") {
			text += next.text
		} else {
			text += " " + next.text
		}
	}
}

// unquote reads a single- or double-quoted scalar at the start of s and
// returns its value and the text after the closing quote.
func unquote(s string) (val, after string, err error) {
	q := s[0]
	var b strings.Builder
	for i := 1; i < len(s); i++ {
		c := s[i]
		switch {
		case c == q && q == '\'' && i+1 < len(s) && s[i+1] == '\'':
			b.WriteByte('\'')
			i++
		case c == q:
			return b.String(), s[i+1:], nil
		case c == '\\' && q == '"':
			n, adv, err := unescape(s[i:])
			if err != nil {
				return "", "", err
			}
			b.WriteString(n)
			i += adv - 1
		default:
			b.WriteByte(c)
		}
	}
	return "", "", fmt.Errorf("unterminated %c-quoted string", q)
}

// unescape decodes the escape sequence at the start of s ("\n", "\x41", ...)
// and returns the text and how many bytes it used.
func unescape(s string) (string, int, error) {
	if len(s) < 2 {
		return "", 0, fmt.Errorf("unterminated escape")
	}
	simple := map[byte]string{'n': "\n", 't': "\t", 'r': "\r", '0': "\x00", '"': "\"",
		'\\': "\\", '/': "/", ' ': " ", 'e': "\x1b", 'a': "\a", 'b': "\b"}
	if v, ok := simple[s[1]]; ok {
		return v, 2, nil
	}
	width := map[byte]int{'x': 2, 'u': 4, 'U': 8}[s[1]]
	if width == 0 || len(s) < 2+width {
		return "", 0, fmt.Errorf("bad escape %q", s[:min(len(s), 2)])
	}
	r, err := strconv.ParseUint(s[2:2+width], 16, 32)
	if err != nil {
		return "", 0, fmt.Errorf("bad escape %q: %w", s[:2+width], err)
	}
	return string(rune(r)), 2 + width, nil
}

// parseBlockScalar reads a "|" (literal) or ">" (folded) scalar. header is
// the indicator with optional chomping (+/-) and indentation digit.
func (p *parser) parseBlockScalar(header string, num, minIndent int) (*Node, error) {
	h := stripComment(header)
	folded, chomp, explicit := h[0] == '>', byte(0), 0
	for _, c := range []byte(h[1:]) {
		switch {
		case c == '+' || c == '-':
			chomp = c
		case c >= '1' && c <= '9':
			explicit = int(c - '0')
		default:
			return nil, fmt.Errorf("line %d: bad block scalar header %q", num, h)
		}
	}
	indent := -1
	if explicit > 0 {
		indent = minIndent - 1 + explicit
	}
	var lines []string
	for ; p.pos < len(p.lines); p.pos++ {
		l := p.lines[p.pos]
		if strings.TrimSpace(l.raw) == "" {
			lines = append(lines, "")
			continue
		}
		if indent < 0 {
			if l.indent < minIndent {
				break
			}
			indent = l.indent
		}
		if l.indent < indent {
			break
		}
		lines = append(lines, l.raw[indent:])
	}
	trailing := 0
	for trailing < len(lines) && lines[len(lines)-1-trailing] == "" {
		trailing++
	}
	p.pos -= trailing // blank lines after the scalar belong to the document
	body := lines[:len(lines)-trailing]
	return &Node{Kind: Scalar, Value: chompScalar(joinBlock(body, folded), chomp, trailing, len(body) > 0), Line: num}, nil
}

func joinBlock(lines []string, folded bool) string {
	if !folded {
		return strings.Join(lines, "\n")
	}
	var b strings.Builder
	for i, l := range lines {
		if i > 0 {
			b.WriteString(foldBreak(lines[i-1], l))
		}
		b.WriteString(l)
	}
	return b.String()
}

// foldBreak is what a line break between prev and l becomes in a folded
// scalar: a space between two text lines; each blank line stands for one
// newline; more-indented lines keep their breaks.
func foldBreak(prev, l string) string {
	moreIndented := strings.HasPrefix(l, " ") || strings.HasPrefix(prev, " ")
	switch {
	case l == "":
		return "\n"
	case prev == "" && !moreIndented:
		return ""
	case moreIndented:
		return "\n"
	}
	return " "
}

func chompScalar(s string, chomp byte, trailing int, hasBody bool) string {
	switch {
	case chomp == '-' || !hasBody && chomp != '+':
		return s
	case chomp == '+':
		return s + strings.Repeat("\n", trailing+1)
	}
	return s + "\n"
}
