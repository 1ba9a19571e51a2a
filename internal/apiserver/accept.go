package apiserver

import (
	"mime"
	"net/http"
	"strings"
)

// mediaType is one entry of an Accept header: "application/json;as=Table;
// v=v1;g=meta.k8s.io" has type application/json and params as, v, g.
type mediaType struct {
	typ    string
	params map[string]string
}

// acceptList reads the Accept header in the client's order. Entries that
// do not parse are skipped; an absent header accepts anything.
func acceptList(r *http.Request) []mediaType {
	h := r.Header.Values("Accept")
	if len(h) == 0 {
		return []mediaType{{typ: "*/*"}}
	}
	var out []mediaType
	for _, part := range strings.Split(strings.Join(h, ","), ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		typ, params, err := mime.ParseMediaType(part)
		if err != nil {
			continue
		}
		if params["q"] == "0" {
			continue
		}
		out = append(out, mediaType{typ: typ, params: params})
	}
	return out
}

// acceptsJSON: plain JSON, or anything. A JSON entry with an "as"
// parameter asks for a transformed object and is not plain JSON.
func (m mediaType) acceptsJSON() bool {
	switch m.typ {
	case "*/*", "application/*":
		return true
	case "application/json":
		return m.params["as"] == ""
	}
	return false
}

// is reports whether m asks for JSON transformed as kind as of group g,
// version v ("as=Table;g=meta.k8s.io;v=v1").
func (m mediaType) is(as, g, v string) bool {
	return m.typ == "application/json" && m.params["as"] == as && m.params["g"] == g && m.params["v"] == v
}
