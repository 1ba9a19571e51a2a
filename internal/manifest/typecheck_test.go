package manifest

import (
	"fmt"
	"net/netip"
	"reflect"
	"slices"
	"strings"
	"testing"
)

type inner struct {
	Shared string `json:"shared"`
	Deep   int    `json:"deep"`
}

type sample struct {
	inner    `json:",inline"`
	*Pointed                   // embedded pointer, no tag: flattened too
	Shared   bool              `json:"shared"` // the outer field wins over inner.Shared
	Untagged string            // named by its Go name
	Skipped  string            `json:"-"`
	hidden   string            // unexported: not a JSON field
	Data     []byte            `json:"data"`
	Small    uint8             `json:"small"`
	Ratio    float64           `json:"ratio"`
	Addr     netip.Addr        `json:"addr"` // a TextUnmarshaler
	Any      any               `json:"any"`
	Items    []inner           `json:"items"`
	ByName   map[string]*inner `json:"byName"`
}

type Pointed struct {
	Extra string `json:"extra"`
}

func TestCheckTypes(t *testing.T) {
	cases := []struct {
		doc  string
		want []string
	}{{
		doc: `{"shared":true,"deep":1,"extra":"x","Untagged":"u","data":"aGk=","small":255,"ratio":1.5,` +
			`"addr":"10.0.0.1","any":[1,{"a":null}],"items":[{"deep":2}],"byName":{"a":{"shared":"s"}}}`,
	}, {
		doc: `{"shared":null,"deep":null,"items":null,"byName":{"a":null}}`, // null fits anything
	}, {
		doc: `{"shared":"s","deep":"1","extra":1,"untagged":"u","Skipped":"x","hidden":"h"}`,
		want: []string{
			"Skipped: unknown field",
			`deep: expected an integer, got string "1"`,
			`extra: expected a string, got number 1`,
			"hidden: unknown field",
			`shared: expected a boolean, got string "s"`,
			"untagged: unknown field",
		},
	}, {
		doc: `{"data":"not base64!","small":256,"ratio":"1","addr":7,"items":{"deep":1},"byName":[]}`,
		want: []string{
			`addr: expected a string, got number 7`,
			"byName: expected an object, got array",
			`data: expected a base64-encoded string, got string "not base64!"`,
			"items: expected an array, got object",
			`ratio: expected a number, got string "1"`,
			"small: expected a non-negative integer that fits uint8, got number 256",
		},
	}, {
		doc:  `{"items":[{"deep":1},{"deep":2.5,"x":1}],"byName":{"k":{"y":true}}}`,
		want: []string{"byName.k.y: unknown field", "items[1].deep: expected an integer that fits int, got number 2.5", "items[1].x: unknown field"},
	}, {
		doc:  `"just a string"`,
		want: []string{`: expected an object, got string "just a string"`},
	}}
	for _, tc := range cases {
		t.Run(tc.doc, func(t *testing.T) {
			var got []string
			for _, fe := range checkTypes([]byte(tc.doc), reflect.TypeFor[*sample]()) {
				got = append(got, fe.Error())
			}
			if !slices.Equal(got, tc.want) {
				t.Errorf("errors:\n got %s\nwant %s", strings.Join(got, "\n     "), strings.Join(tc.want, "\n     "))
			}
		})
	}
}

func TestCheckTypesBoundsTheReport(t *testing.T) {
	var b strings.Builder
	b.WriteString("{")
	for i := range 300 {
		fmt.Fprintf(&b, `"unknown%03d":1,`, i)
	}
	b.WriteString(`"deep":1}`)
	if n := len(checkTypes([]byte(b.String()), reflect.TypeFor[sample]())); n != maxFieldErrors {
		t.Errorf("%d errors reported, want %d", n, maxFieldErrors)
	}
}
