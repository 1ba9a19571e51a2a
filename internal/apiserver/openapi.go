package apiserver

import (
	"crypto/sha512"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"sync"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
)

// Content types of the OpenAPI v2 document. kubectl asks for protobuf
// with an "@" that is not a valid media type, so the Accept header is
// matched by substring; the reply carries the dotted form, the only one
// kubectl's own parser accepts.
const (
	openAPIV2ProtobufType = "application/com.github.proto-openapi.spec.v2.v1.0+protobuf"
	openAPIV2AcceptMarker = "protobuf"
)

// openAPIDoc is one served document and the hash that names its version.
type openAPIDoc struct {
	body []byte
	hash string
}

// openAPISet is every OpenAPI document, built once: they depend only on
// the served kinds' Go types.
type openAPISet struct {
	v3Index []byte
	v3      map[string]openAPIDoc // "api/v1", "apis/kubevirt.io/v1"
	v2JSON  openAPIDoc
	v2Proto openAPIDoc
}

// openAPIDocs builds the documents on first use.
var openAPIDocs = sync.OnceValues(buildOpenAPI)

func buildOpenAPI() (*openAPISet, error) {
	set := &openAPISet{v3: map[string]openAPIDoc{}}
	type entry struct {
		ServerRelativeURL string `json:"serverRelativeURL"`
	}
	index := map[string]map[string]entry{"paths": {}}
	for _, gp := range v3GroupPaths() {
		group, version, _ := splitGroupPath(gp)
		body, err := json.Marshal(v3Document(group, version))
		if err != nil {
			return nil, fmt.Errorf("encoding the OpenAPI v3 document of %s: %w", gp, err)
		}
		doc := openAPIDoc{body: body, hash: contentHash(body)}
		set.v3[gp] = doc
		index["paths"][gp] = entry{ServerRelativeURL: "/openapi/v3/" + gp + "?hash=" + doc.hash}
	}
	var err error
	if set.v3Index, err = json.Marshal(index); err != nil {
		return nil, fmt.Errorf("encoding the OpenAPI v3 index: %w", err)
	}
	jsonDoc, protoDoc, err := v2Protobuf(v2Document())
	if err != nil {
		return nil, err
	}
	set.v2JSON = openAPIDoc{body: jsonDoc, hash: contentHash(jsonDoc)}
	set.v2Proto = openAPIDoc{body: protoDoc, hash: contentHash(protoDoc)}
	return set, nil
}

// contentHash names a document's content, as Kubernetes' ?hash= does.
func contentHash(b []byte) string {
	sum := sha512.Sum512(b)
	return strings.ToUpper(hex.EncodeToString(sum[:]))
}

// serveOpenAPI answers /openapi/v2, /openapi/v3 (the index of group
// documents) and /openapi/v3/GROUPPATH; it reports whether the path was
// one of these.
func (s *Server) serveOpenAPI(w http.ResponseWriter, r *http.Request) bool {
	p := strings.TrimSuffix(r.URL.Path, "/")
	if p != "/openapi/v2" && p != "/openapi/v3" && !strings.HasPrefix(p, "/openapi/v3/") {
		return false
	}
	if r.Method != http.MethodGet {
		s.writeError(w, r, apierrors.NewMethodNotSupported(resourceless, r.Method))
		return true
	}
	set, err := openAPIDocs()
	if err != nil {
		s.writeError(w, r, apierrors.NewInternalError(err))
		return true
	}
	switch {
	case p == "/openapi/v2":
		if strings.Contains(r.Header.Get("Accept"), openAPIV2AcceptMarker) {
			writeDocument(w, r, set.v2Proto, openAPIV2ProtobufType, false)
		} else {
			writeDocument(w, r, set.v2JSON, "application/json", false)
		}
	case p == "/openapi/v3":
		w.Header().Set("Cache-Control", "no-cache, private")
		writeDocument(w, r, openAPIDoc{body: set.v3Index}, "application/json", false)
	default:
		doc, ok := set.v3[strings.TrimPrefix(p, "/openapi/v3/")]
		if !ok {
			s.writeError(w, r, errNoRoute())
			return true
		}
		writeDocument(w, r, doc, "application/json", r.URL.Query().Get("hash") == doc.hash)
	}
	return true
}

// writeDocument writes a document with its ETag, or 304 when the client
// holds it already. A URL naming the document's hash never changes, so its
// reply may be cached for good.
func writeDocument(w http.ResponseWriter, r *http.Request, doc openAPIDoc, contentType string, immutable bool) {
	if doc.hash != "" {
		etag := `"` + doc.hash + `"`
		w.Header().Set("ETag", etag)
		if immutable {
			w.Header().Set("Cache-Control", "public, immutable")
		}
		if r.Header.Get("If-None-Match") == etag {
			w.WriteHeader(http.StatusNotModified)
			return
		}
	}
	w.Header().Set("Content-Type", contentType)
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(doc.body)
}
