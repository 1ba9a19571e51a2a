package manifest

import (
	"errors"
	"strings"
	"testing"
)

type docWant struct {
	index, line int
	json        string
}

func TestSplitDocuments(t *testing.T) {
	cases := []struct {
		name string
		in   string
		want []docWant
	}{{
		name: "one YAML document",
		in:   "apiVersion: v1\nkind: Service\n",
		want: []docWant{{0, 1, `{"apiVersion":"v1","kind":"Service"}`}},
	}, {
		name: "comments, empty and comment-only documents are skipped",
		in: "# a file of two objects\n---\n\n---\n# nothing here\n   # still nothing\n---\n" +
			"# the first one\nkind: A\n--- # a separator with a comment\nkind: B\n---\n",
		want: []docWant{{0, 9, `{"kind":"A"}`}, {1, 11, `{"kind":"B"}`}},
	}, {
		name: "a key with no value is null",
		in:   "kind: A\nmetadata:\n  annotations:\n  name: fedora-vm\n",
		want: []docWant{{0, 1, `{"kind":"A","metadata":{"annotations":null,"name":"fedora-vm"}}`}},
	}, {
		name: "CRLF line ends and a byte order mark",
		in:   "\xef\xbb\xbfkind: A\r\n---\r\nkind: B\r\n",
		want: []docWant{{0, 1, `{"kind":"A"}`}, {1, 3, `{"kind":"B"}`}},
	}, {
		name: "dashes that are not a separator",
		in:   "kind: A\ndata: |\n  ---- not a separator\n  --- also text: it is indented\n",
		want: []docWant{{0, 1, `{"data":"---- not a separator\n--- also text: it is indented\n","kind":"A"}`}},
	}, {
		name: "a JSON document kept as written",
		in:   "\n{\"kind\": \"A\",\n \"spec\": {}}\n",
		want: []docWant{{0, 2, "{\"kind\": \"A\",\n \"spec\": {}}"}},
	}, {
		name: "a JSON stream and a YAML document",
		in:   "{\"kind\":\"A\"}\n\n{\"kind\":\"B\"}\nnull\n---\nkind: C\n",
		want: []docWant{{0, 1, `{"kind":"A"}`}, {1, 3, `{"kind":"B"}`}, {2, 6, `{"kind":"C"}`}},
	}, {
		name: "nothing at all",
		in:   "",
	}, {
		name: "a lone null",
		in:   "---\n~\n---\nkind: A\n",
		want: []docWant{{0, 4, `{"kind":"A"}`}},
	}}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			docs, err := SplitDocuments([]byte(tc.in))
			if err != nil {
				t.Fatal(err)
			}
			var got []docWant
			for _, d := range docs {
				got = append(got, docWant{d.Index, d.Line, string(d.JSON)})
			}
			if len(got) != len(tc.want) {
				t.Fatalf("got %d documents %+v, want %+v", len(got), got, tc.want)
			}
			for i := range got {
				if got[i] != tc.want[i] {
					t.Errorf("document %d = %+v, want %+v", i, got[i], tc.want[i])
				}
			}
		})
	}
}

func TestSplitDocumentsErrors(t *testing.T) {
	cases := []struct {
		name    string
		in      string
		want    string
		wantIs  error
		wantDoc int // index of the first failing document
	}{{
		name:   "malformed YAML, line counted in the file",
		in:     "kind: A\n---\n# second\nkind: B\nspec:\n  list: [1,\n  other: 2\n",
		want:   "document 2 (line 4): malformed manifest: line 7: did not find expected ',' or ']'",
		wantIs: ErrMalformed, wantDoc: 1,
	}, {
		name:   "bad indentation",
		in:     "kind: A\nspec:\n  a: 1\n b: 2\n",
		want:   "document 1 (line 1): malformed manifest: line 3: did not find expected key",
		wantIs: ErrMalformed,
	}, {
		name:   "JSON with a trailing comma",
		in:     "{\n  \"kind\": \"A\",\n  \"spec\": {},\n}\n",
		want:   "document 1 (line 1): malformed manifest: line 4: invalid character '}' looking for beginning of object key string",
		wantIs: ErrMalformed,
	}, {
		name:   "duplicate YAML key",
		in:     "kind: A\nmetadata:\n  name: a\n  labels: {}\n  name: b\n",
		want:   `document 1 (line 1): line 5: duplicate key "name"`,
		wantIs: ErrDuplicateKey,
	}, {
		name:   "several duplicate YAML keys",
		in:     "kind: A\nkind: B\nmetadata:\n  name: a\n  name: b\n",
		want:   `document 1 (line 1): line 2: duplicate key "kind"; line 5: duplicate key "name"`,
		wantIs: ErrDuplicateKey,
	}, {
		name:   "duplicate JSON key names its path",
		in:     `{"kind":"A"}` + "\n" + `{"kind":"B","kind":"C","metadata":{"name":"a","name":"b"}}`,
		want:   `document 2 (line 2): duplicate key "kind", "metadata.name"`,
		wantIs: ErrDuplicateKey, wantDoc: 1,
	}, {
		name:   "a list is not a manifest",
		in:     "- kind: A\n",
		want:   "document 1 (line 1): malformed manifest: a manifest must be a mapping with apiVersion and kind, not a list",
		wantIs: ErrMalformed,
	}, {
		name:   "a JSON list is not a manifest",
		in:     `[{"kind":"A"}]`,
		want:   "document 1 (line 1): malformed manifest: a manifest must be an object with apiVersion and kind, not a list",
		wantIs: ErrMalformed,
	}, {
		name:   "a string is not a manifest",
		in:     `"kind"`,
		want:   "document 1 (line 1): malformed manifest: a manifest must be a mapping with apiVersion and kind, not a string",
		wantIs: ErrMalformed,
	}}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			docs, err := SplitDocuments([]byte(tc.in))
			if err == nil {
				t.Fatalf("no error; documents %v", docs)
			}
			if err.Error() != tc.want {
				t.Errorf("error:\n got %q\nwant %q", err, tc.want)
			}
			if !errors.Is(err, tc.wantIs) {
				t.Errorf("errors.Is(%v) false", tc.wantIs)
			}
			var de *DocumentError
			if !errors.As(err, &de) || de.Index != tc.wantDoc {
				t.Errorf("DocumentError = %+v, want index %d", de, tc.wantDoc)
			}
			if docs != nil {
				t.Errorf("documents returned with an error: %v", docs)
			}
		})
	}
}

// Every bad document is reported, not only the first.
func TestSplitDocumentsReportsEveryBadDocument(t *testing.T) {
	in := "kind: A\na: [\n---\nkind: B\n---\nkind: C\nb: {\n"
	_, err := SplitDocuments([]byte(in))
	if err == nil {
		t.Fatal("no error")
	}
	lines := strings.Split(err.Error(), "\n")
	if len(lines) != 2 || !strings.HasPrefix(lines[0], "document 1 (line 1): ") ||
		!strings.HasPrefix(lines[1], "document 3 (line 6): ") {
		t.Errorf("errors = %q, want documents 1 and 3", lines)
	}
}

func TestDocumentString(t *testing.T) {
	if got := (Document{Index: 1, Line: 14}).String(); got != "document 2 (line 14)" {
		t.Errorf("String() = %q", got)
	}
}
