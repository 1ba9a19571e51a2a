package apiserver

import (
	"encoding/json"
	"net/http"
	"reflect"
	"slices"
	"strings"
	"testing"

	openapiv2 "github.com/google/gnostic-models/openapiv2"
	"google.golang.org/protobuf/proto"
	"k8s.io/kube-openapi/pkg/spec3"
	"k8s.io/kube-openapi/pkg/validation/spec"

	v1 "vigil.dev/vigil/api/v1"
)

// groupDoc fetches a group's OpenAPI v3 document through the index, as
// kubectl does.
func groupDoc(t *testing.T, e *env, group string) (*spec3.OpenAPI, reply) {
	t.Helper()
	var index struct {
		Paths map[string]struct {
			ServerRelativeURL string `json:"serverRelativeURL"`
		} `json:"paths"`
	}
	e.do("GET", "/openapi/v3", "", nil).must(t, 200).into(t, &index)
	entry, ok := index.Paths[group]
	if !ok || !strings.HasPrefix(entry.ServerRelativeURL, "/openapi/v3/"+group+"?hash=") {
		t.Fatalf("index %+v has no %s", index, group)
	}
	r := e.do("GET", entry.ServerRelativeURL, "", nil).must(t, 200)
	var doc spec3.OpenAPI
	r.into(t, &doc)
	return &doc, r
}

func TestOpenAPIV3IndexAndCaching(t *testing.T) {
	e := newEnv(t)
	_, r := groupDoc(t, e, "apis/kubevirt.io/v1")
	etag := r.header.Get("ETag")
	if r.header.Get("Cache-Control") != "public, immutable" || etag == "" {
		t.Errorf("headers %v", r.header)
	}
	req, _ := http.NewRequest("GET", e.http.URL+"/openapi/v3/apis/kubevirt.io/v1", nil)
	req.Header.Set("If-None-Match", etag)
	resp, err := e.http.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNotModified {
		t.Errorf("revalidation: %d", resp.StatusCode)
	}
	e.do("GET", "/openapi/v3/apis/example.com/v1", "", nil).must(t, 404)
	e.do("POST", "/openapi/v3", "", nil).must(t, 405)
}

// operation finds the operation of a path and method.
func operation(t *testing.T, doc *spec3.OpenAPI, path, method string) *spec3.Operation {
	t.Helper()
	p, ok := doc.Paths.Paths[path]
	if !ok {
		t.Fatalf("no path %s", path)
	}
	op := map[string]*spec3.Operation{"get": p.Get, "put": p.Put, "post": p.Post, "patch": p.Patch, "delete": p.Delete}[method]
	if op == nil {
		t.Fatalf("no %s on %s", method, path)
	}
	return op
}

func hasParam(op *spec3.Operation, name string) bool {
	return slices.ContainsFunc(op.Parameters, func(p *spec3.Parameter) bool { return p.Name == name })
}

// TestOpenAPIV3LeavesValidationToTheServer checks what kubectl looks for
// before it skips client-side validation: a PATCH operation marked with
// the kind's group, version and kind that takes fieldValidation.
func TestOpenAPIV3LeavesValidationToTheServer(t *testing.T) {
	e := newEnv(t)
	cases := []struct {
		group, path, kind string
		strategic         bool
	}{
		{"apis/kubevirt.io/v1", "/apis/kubevirt.io/v1/namespaces/{namespace}/virtualmachines/{name}", "VirtualMachine", false},
		{"api/v1", "/api/v1/namespaces/{namespace}/services/{name}", "Service", true},
	}
	for _, tc := range cases {
		doc, _ := groupDoc(t, e, tc.group)
		patch := operation(t, doc, tc.path, "patch")
		gvk, _ := patch.Extensions[extGVK].(map[string]any)
		if gvk["kind"] != tc.kind || patch.Extensions[extAction] != "patch" {
			t.Errorf("%s: extensions %v", tc.kind, patch.Extensions)
		}
		for _, p := range []string{"fieldValidation", "fieldManager", "force", "dryRun"} {
			if !hasParam(patch, p) {
				t.Errorf("%s: PATCH has no %s parameter", tc.kind, p)
			}
		}
		_, smp := patch.RequestBody.Content[strategicPatch]
		_, apply := patch.RequestBody.Content[applyPatch]
		if smp != tc.strategic || !apply {
			t.Errorf("%s: patch types %v", tc.kind, patch.RequestBody.Content)
		}
		if !hasParam(operation(t, doc, strings.TrimSuffix(tc.path, "/{name}"), "post"), "fieldValidation") {
			t.Errorf("%s: POST has no fieldValidation", tc.kind)
		}
	}
}

// schemaAt follows properties (and single allOf references) from a
// definition down a field path.
func schemaAt(t *testing.T, defs map[string]*spec.Schema, def string, path ...string) *spec.Schema {
	t.Helper()
	s, ok := defs[def]
	if !ok {
		t.Fatalf("no definition %s", def)
	}
	for _, field := range path {
		prop, ok := s.Properties[field]
		if !ok {
			t.Fatalf("%s: no property %q in %v", def, field, keys(s.Properties))
		}
		s = &prop
		if ref := refName(s); ref != "" && field != path[len(path)-1] {
			s = defs[ref]
		}
	}
	return s
}

func refName(s *spec.Schema) string {
	ref := s.Ref.String()
	if ref == "" && len(s.AllOf) == 1 {
		ref = s.AllOf[0].Ref.String()
	}
	return strings.TrimPrefix(ref, refPrefixV3)
}

func keys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

func TestOpenAPISchemaFollowsTheGoTypes(t *testing.T) {
	e := newEnv(t)
	doc, _ := groupDoc(t, e, "apis/kubevirt.io/v1")
	defs := doc.Components.Schemas
	vm := definitionName(reflect.TypeFor[v1.VirtualMachine]())
	if gvks, _ := defs[vm].Extensions[extGVK].([]any); len(gvks) != 1 {
		t.Errorf("VirtualMachine's GVK extension: %v", defs[vm].Extensions)
	}
	if s := schemaAt(t, defs, vm, "spec", "runStrategy"); !s.Type.Contains("string") {
		t.Errorf("runStrategy: %+v", s)
	}
	if !slices.Contains(defs[vm].Required, "spec") || slices.Contains(defs[vm].Required, "status") {
		t.Errorf("required %v: spec has no omitempty, status has", defs[vm].Required)
	}
	vmi := definitionName(reflect.TypeFor[v1.VirtualMachineInstance]())
	// An inline struct's fields sit on the outer object (Disk embeds DiskDevice).
	disk := refName(schemaAt(t, defs, vmi, "spec", "domain", "devices", "disks").Items.Schema)
	if props := keys(defs[disk].Properties); !slices.Contains(props, "disk") || !slices.Contains(props, "cdrom") || !slices.Contains(props, "name") {
		t.Errorf("disk properties %v", props)
	}
	if ref := refName(schemaAt(t, defs, vmi, "spec", "readinessProbe", "httpGet", "port")); ref != "io.k8s.apimachinery.pkg.util.intstr.IntOrString" {
		t.Errorf("port refers to %q", ref)
	}
	if s := defs["io.k8s.apimachinery.pkg.util.intstr.IntOrString"]; s.Format != "int-or-string" {
		t.Errorf("IntOrString: %+v", s)
	}
	if s := defs["io.k8s.apimachinery.pkg.apis.meta.v1.Time"]; s.Format != "date-time" || !s.Type.Contains("string") {
		t.Errorf("Time: %+v", s)
	}
	if s := schemaAt(t, defs, definitionName(reflect.TypeFor[v1.CPU]()), "cores"); s.Format != "int64" {
		t.Errorf("a uint32 must not be declared int32: %+v", s)
	}
	if s := schemaAt(t, defs, "io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta", "labels"); s.AdditionalProperties == nil || !s.AdditionalProperties.Schema.Type.Contains("string") {
		t.Errorf("labels: %+v", s)
	}
	assertRefsResolve(t, doc)
}

func TestOpenAPIServiceListsMergeByKey(t *testing.T) {
	e := newEnv(t)
	doc, _ := groupDoc(t, e, "api/v1")
	ports := schemaAt(t, doc.Components.Schemas, "io.k8s.api.core.v1.Service", "spec", "ports")
	want := map[string]any{extPatchStrategy: "merge", extPatchMergeKey: "port", extListType: "map"}
	for k, v := range want {
		if ports.Extensions[k] != v {
			t.Errorf("ports %s = %v, want %v", k, ports.Extensions[k], v)
		}
	}
	if keys, _ := ports.Extensions[extListMapKeys].([]any); len(keys) != 2 {
		t.Errorf("ports list map keys %v", ports.Extensions[extListMapKeys])
	}
	if p := schemaAt(t, doc.Components.Schemas, "io.k8s.api.core.v1.ServicePort", "protocol"); p.Default != "TCP" {
		t.Errorf("protocol default %v", p.Default)
	}
	assertRefsResolve(t, doc)
}

// assertRefsResolve finds every $ref in a document and checks it names a
// definition of the document.
func assertRefsResolve(t *testing.T, doc *spec3.OpenAPI) {
	t.Helper()
	raw, err := json.Marshal(doc)
	if err != nil {
		t.Fatal(err)
	}
	for _, part := range strings.Split(string(raw), `"$ref":"`)[1:] {
		ref := part[:strings.IndexByte(part, '"')]
		if _, ok := doc.Components.Schemas[strings.TrimPrefix(ref, refPrefixV3)]; !ok {
			t.Errorf("dangling reference %s", ref)
		}
	}
}

func TestOpenAPIV2IsProtobufForKubectl(t *testing.T) {
	e := newEnv(t)
	req, _ := http.NewRequest("GET", e.http.URL+"/openapi/v2", nil)
	// kubectl's Accept, with its "@" that is not a valid media type.
	req.Header.Set("Accept", "application/com.github.proto-openapi.spec.v2@v1.0+protobuf")
	resp, err := e.http.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if ct := resp.Header.Get("Content-Type"); ct != "application/com.github.proto-openapi.spec.v2.v1.0+protobuf" {
		t.Fatalf("content type %q", ct)
	}
	var body []byte
	buf := make([]byte, 32<<10)
	for {
		n, err := resp.Body.Read(buf)
		body = append(body, buf[:n]...)
		if err != nil {
			break
		}
	}
	var doc openapiv2.Document
	if err := proto.Unmarshal(body, &doc); err != nil {
		t.Fatalf("not an OpenAPI v2 protobuf: %v", err)
	}
	found := false
	for _, d := range doc.GetDefinitions().GetAdditionalProperties() {
		found = found || d.GetName() == definitionName(reflect.TypeFor[v1.VirtualMachine]())
	}
	if doc.GetSwagger() != "2.0" || !found {
		t.Errorf("swagger %q, VirtualMachine defined: %v", doc.GetSwagger(), found)
	}
	var asJSON spec.Swagger
	e.do("GET", "/openapi/v2", "", nil).must(t, 200).into(t, &asJSON)
	if _, ok := asJSON.Definitions["io.k8s.api.core.v1.Service"]; !ok {
		t.Error("the JSON form has no Service")
	}
}

func TestDefinitionNames(t *testing.T) {
	cases := map[reflect.Type]string{
		reflect.TypeFor[v1.VirtualMachine]():  "dev.vigil.vigil.api.v1.VirtualMachine",
		reflect.TypeFor[spec.Schema]():        "io.k8s.kube-openapi.pkg.validation.spec.Schema",
		reflect.TypeFor[openapiv2.Document](): "com.github.google.gnostic-models.openapiv2.Document",
	}
	for typ, want := range cases {
		if got := definitionName(typ); got != want {
			t.Errorf("%v: %q, want %q", typ, got, want)
		}
	}
}
