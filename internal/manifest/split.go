package manifest

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strconv"
	"strings"

	sjson "sigs.k8s.io/json"
	"sigs.k8s.io/yaml"
)

// Document is one non-empty document of a manifest file, as JSON.
type Document struct {
	// Index is the document's place among the file's non-empty documents, from 0.
	Index int
	// Line is the 1-based line of the file where the document's content starts
	// (its first line that is neither blank nor a comment).
	Line int
	// JSON is the document as a JSON object.
	JSON []byte
}

// String names the document for people: "document 2 (line 14)" (counting from 1).
func (d Document) String() string { return describeDocument(d.Index, d.Line) }

// SplitDocuments splits a manifest file into its documents. The file is
// YAML or JSON; documents are separated by lines of `---`. Empty and
// comment-only documents are skipped. A document whose first content is
// `{` or `[` is read as JSON (as kubectl does), so a trailing comma is an
// error even though YAML would accept it; a JSON document may also hold
// several objects one after another. A key with no value becomes null.
//
// Malformed documents, documents that are not objects and repeated keys
// are errors (*DocumentError, naming the document and the line in the
// file); every bad document is reported, joined with errors.Join.
func SplitDocuments(data []byte) ([]Document, error) {
	data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf")) // a UTF-8 byte order mark
	var docs []Document
	var errs []error
	index := 0
	for _, c := range splitStream(data) {
		line, ok := c.contentLine()
		if !ok {
			continue
		}
		var parsed []Document
		var err error
		if c.isJSON() {
			parsed, err = c.jsonDocuments(index)
		} else {
			parsed, err = c.yamlDocument(index, line)
		}
		docs = append(docs, parsed...)
		index += len(parsed)
		if err != nil {
			errs = append(errs, err)
			index++
		}
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return docs, nil
}

// chunk is the text between two `---` lines.
type chunk struct {
	text      []byte
	firstLine int // 1-based line of text[0] in the file
}

func splitStream(data []byte) []chunk {
	var chunks []chunk
	start, startLine, line := 0, 1, 1
	for pos := 0; pos < len(data); line++ {
		next := len(data)
		if i := bytes.IndexByte(data[pos:], '\n'); i >= 0 {
			next = pos + i + 1
		}
		if isSeparator(data[pos:next]) {
			chunks = append(chunks, chunk{text: data[start:pos], firstLine: startLine})
			start, startLine = next, line+1
		}
		pos = next
	}
	return append(chunks, chunk{text: data[start:], firstLine: startLine})
}

// isSeparator: `---` alone on its line, or followed by a comment.
func isSeparator(line []byte) bool {
	rest, ok := bytes.CutPrefix(bytes.TrimRight(line, "\r\n"), []byte("---"))
	if !ok {
		return false
	}
	if len(rest) > 0 && rest[0] != ' ' && rest[0] != '\t' {
		return false
	}
	rest = bytes.TrimSpace(rest)
	return len(rest) == 0 || rest[0] == '#'
}

// contentLine finds the first line that is neither blank nor a comment;
// ok is false for an empty or comment-only chunk.
func (c chunk) contentLine() (line int, ok bool) {
	for i, l := range bytes.Split(c.text, []byte("\n")) {
		t := bytes.TrimSpace(l)
		if len(t) > 0 && t[0] != '#' {
			return c.firstLine + i, true
		}
	}
	return 0, false
}

func (c chunk) isJSON() bool {
	line, _ := c.contentLine()
	l := bytes.TrimSpace(bytes.Split(c.text, []byte("\n"))[line-c.firstLine])
	return l[0] == '{' || l[0] == '['
}

// lineAt is the file line of byte offset off in the chunk.
func (c chunk) lineAt(off int64) int {
	off = min(off, int64(len(c.text)))
	return c.firstLine + bytes.Count(c.text[:off], []byte("\n"))
}

func (c chunk) jsonDocuments(index int) ([]Document, error) {
	var docs []Document
	dec := json.NewDecoder(bytes.NewReader(c.text))
	for {
		start := dec.InputOffset()
		var raw json.RawMessage
		err := dec.Decode(&raw)
		if err == io.EOF {
			return docs, nil
		}
		start += int64(len(c.text[start:]) - len(bytes.TrimLeft(c.text[start:], " \t\r\n")))
		line := c.lineAt(start)
		if err != nil {
			errLine := line
			var se *json.SyntaxError
			if errors.As(err, &se) {
				errLine = c.lineAt(se.Offset)
			}
			return docs, &DocumentError{Index: index, Line: line,
				Err: fmt.Errorf("%w: line %d: %v", ErrMalformed, errLine, err)}
		}
		if string(raw) == "null" {
			continue
		}
		if err := checkJSONObject(raw); err != nil {
			return docs, &DocumentError{Index: index, Line: line, Err: err}
		}
		docs = append(docs, Document{Index: index, Line: line, JSON: raw})
		index++
	}
}

// checkJSONObject insists on an object without repeated keys.
func checkJSONObject(raw []byte) error {
	if raw[0] != '{' {
		return fmt.Errorf("%w: a manifest must be an object with apiVersion and kind, not %s", ErrMalformed, jsonKind(raw))
	}
	var v any
	strictErrs, err := sjson.UnmarshalStrict(raw, &v, sjson.DisallowDuplicateFields)
	if err != nil {
		return fmt.Errorf("%w: %v", ErrMalformed, err)
	}
	var paths []string
	for _, se := range strictErrs {
		if fe, ok := se.(sjson.FieldError); ok {
			paths = append(paths, strconv.Quote(fe.FieldPath()))
		}
	}
	if len(paths) == 0 {
		return nil
	}
	return fmt.Errorf("%w %s", ErrDuplicateKey, strings.Join(paths, ", "))
}

func (c chunk) yamlDocument(index, line int) ([]Document, error) {
	j, err := yaml.YAMLToJSONStrict(c.text)
	if err != nil {
		return nil, &DocumentError{Index: index, Line: line, Err: c.yamlError(err)}
	}
	if string(j) == "null" { // e.g. a lone `~`
		return nil, nil
	}
	if j[0] != '{' {
		return nil, &DocumentError{Index: index, Line: line, Err: fmt.Errorf(
			"%w: a manifest must be a mapping with apiVersion and kind, not %s", ErrMalformed, jsonKind(j))}
	}
	return []Document{{Index: index, Line: line, JSON: j}}, nil
}

var (
	yamlLine         = regexp.MustCompile(`line (\d+)`)
	yamlDuplicateKey = regexp.MustCompile(`line (\d+): key (".*") already set in map`)
)

// yamlError rewrites a YAML parser error: its line numbers count from the
// start of the document, users need the line in the file; repeated keys
// become ErrDuplicateKey errors naming the key.
func (c chunk) yamlError(err error) error {
	msg := yamlLine.ReplaceAllStringFunc(err.Error(), func(m string) string {
		n, _ := strconv.Atoi(strings.TrimPrefix(m, "line "))
		return fmt.Sprintf("line %d", n+c.firstLine-1)
	})
	if dups := yamlDuplicateKey.FindAllStringSubmatch(msg, -1); len(dups) > 0 {
		more := ""
		for _, d := range dups[1:] {
			more += fmt.Sprintf("; line %s: duplicate key %s", d[1], d[2])
		}
		return fmt.Errorf("line %s: %w %s%s", dups[0][1], ErrDuplicateKey, dups[0][2], more)
	}
	msg = strings.ReplaceAll(strings.TrimPrefix(msg, "yaml: "), "\n", " ")
	return fmt.Errorf("%w: %s", ErrMalformed, msg)
}

// jsonKind names the JSON type of a value, for messages.
func jsonKind(raw []byte) string {
	switch raw[0] {
	case '{':
		return "an object"
	case '[':
		return "a list"
	case '"':
		return "a string"
	case 't', 'f':
		return "a boolean"
	case 'n':
		return "null"
	default:
		return "a number"
	}
}
