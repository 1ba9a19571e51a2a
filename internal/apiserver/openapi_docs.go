package apiserver

import (
	"net/http"
	"reflect"
	"strings"

	"k8s.io/kube-openapi/pkg/spec3"
	"k8s.io/kube-openapi/pkg/validation/spec"

	"vigil.dev/vigil/internal/resource"
)

// openAPITitle and the version below are what Kubernetes' documents carry;
// the version is the Kubernetes version /version reports.
const openAPITitle = "Kubernetes"

// kindDescriptions head the definitions of the served kinds (what
// `kubectl explain KIND` prints first).
var kindDescriptions = map[*resource.Info]string{
	resource.VirtualMachines:         "VirtualMachine is a VM definition: its run strategy decides when a VirtualMachineInstance made from its template must exist.",
	resource.VirtualMachineInstances: "VirtualMachineInstance is one running (or starting, or finished) virtual machine.",
	resource.Services:                "Service is a named set of ports that reach the ready VirtualMachineInstances its selector picks.",
	resource.Endpoints:               "Endpoints lists the ready addresses behind a Service.",
	resource.Events:                  "Event is a report of something that happened to an object.",
}

// defineKinds adds the definitions of resources' kinds and list kinds,
// marked with their group, version and kind, and of the types every
// document's operations refer to.
func defineKinds(g *schemaGen, resources []*resource.Info) {
	for _, res := range resources {
		for _, obj := range []any{res.New(), res.NewList()} {
			t := reflect.TypeOf(obj).Elem()
			kind := res.Kind
			if t == reflect.TypeOf(res.NewList()).Elem() {
				kind = res.ListKind
			}
			def := g.defs[g.define(t)]
			if def.Extensions == nil {
				def.Extensions = spec.Extensions{}
			}
			def.Extensions[extGVK] = []any{map[string]any{"group": res.Group, "version": res.Version, "kind": kind}}
			if kind == res.Kind {
				def.Description = kindDescriptions[res]
			}
		}
	}
	for _, t := range []reflect.Type{statusType, deleteOptionsType} {
		g.define(t)
	}
	// A patch body is any JSON object; Kubernetes names it so.
	g.defs[definitionName(patchType)] = &spec.Schema{SchemaProps: spec.SchemaProps{Type: []string{"object"}}}
}

// resourcesOf lists the served resources of a group version.
func resourcesOf(group, version string) []*resource.Info {
	var out []*resource.Info
	for _, res := range resource.All {
		if res.Group == group && res.Version == version {
			out = append(out, res)
		}
	}
	return out
}

// v3Document is the OpenAPI 3 document of one group version.
func v3Document(group, version string) *spec3.OpenAPI {
	resources := resourcesOf(group, version)
	g := newSchemaGen(refPrefixV3)
	defineKinds(g, resources)
	doc := &spec3.OpenAPI{
		Version:    "3.0.0",
		Info:       &spec.Info{InfoProps: spec.InfoProps{Title: openAPITitle, Version: kubeVersion}},
		Paths:      &spec3.Paths{Paths: map[string]*spec3.Path{}},
		Components: &spec3.Components{Schemas: map[string]*spec.Schema{}},
	}
	for _, res := range resources {
		for _, p := range resourcePaths(res) {
			doc.Paths.Paths[p.path] = v3Path(g, p)
		}
	}
	for name, s := range g.defs {
		doc.Components.Schemas[name] = s
	}
	return doc
}

func v3Path(g *schemaGen, p apiPath) *spec3.Path {
	out := &spec3.Path{}
	for _, prm := range p.params {
		out.Parameters = append(out.Parameters, v3Param(prm))
	}
	for _, op := range p.ops {
		o := &spec3.Operation{OperationProps: spec3.OperationProps{
			OperationId: op.id,
			Responses: &spec3.Responses{ResponsesProps: spec3.ResponsesProps{StatusCodeResponses: map[int]*spec3.Response{
				op.code: v3Response(g.ref(g.define(op.reply))),
			}}},
		}}
		o.Extensions = spec.Extensions{extAction: op.action, extGVK: gvkExtension(p.res)}
		for _, prm := range op.params {
			o.Parameters = append(o.Parameters, v3Param(prm))
		}
		o.RequestBody = v3Body(g, p.res, op.body)
		setV3Operation(out, op.method, o)
	}
	return out
}

func v3Param(p apiParam) *spec3.Parameter {
	return &spec3.Parameter{ParameterProps: spec3.ParameterProps{
		Name: p.name, In: p.in, Description: p.description, Required: p.in == "path",
		Schema: &spec.Schema{SchemaProps: spec.SchemaProps{Type: []string{p.typ}}},
	}}
}

func v3Response(s spec.Schema) *spec3.Response {
	return &spec3.Response{ResponseProps: spec3.ResponseProps{
		Description: "OK",
		Content:     map[string]*spec3.MediaType{"application/json": {MediaTypeProps: spec3.MediaTypeProps{Schema: &s}}},
	}}
}

// v3Body is the request body of an operation: the kind for create and
// replace, any of the patch formats for a patch, DeleteOptions for delete.
func v3Body(g *schemaGen, res *resource.Info, body bodyKind) *spec3.RequestBody {
	var types []string
	var s spec.Schema
	switch body {
	case objectBody:
		types, s = []string{"application/json", "application/yaml"}, g.ref(g.define(reflect.TypeOf(res.New()).Elem()))
	case patchBody:
		types, s = patchContentTypes(res), g.ref(definitionName(patchType))
	case deleteBody:
		types, s = []string{"application/json"}, g.ref(g.define(deleteOptionsType))
	default:
		return nil
	}
	rb := &spec3.RequestBody{RequestBodyProps: spec3.RequestBodyProps{Content: map[string]*spec3.MediaType{}, Required: body != deleteBody}}
	for _, t := range types {
		rb.Content[t] = &spec3.MediaType{MediaTypeProps: spec3.MediaTypeProps{Schema: &s}}
	}
	return rb
}

func setV3Operation(p *spec3.Path, method string, o *spec3.Operation) {
	switch method {
	case http.MethodGet:
		p.Get = o
	case http.MethodPut:
		p.Put = o
	case http.MethodPost:
		p.Post = o
	case http.MethodPatch:
		p.Patch = o
	case http.MethodDelete:
		p.Delete = o
	}
}

// v3GroupPaths are the keys of /openapi/v3: "api/v1", "apis/kubevirt.io/v1".
func v3GroupPaths() []string {
	out := []string{"api/v1"}
	for _, gv := range groupVersions() {
		if len(resourcesOf(gv.Group, gv.Version)) > 0 {
			out = append(out, "apis/"+gv.String())
		}
	}
	return out
}

// splitGroupPath turns "apis/kubevirt.io/v1" into its group and version.
func splitGroupPath(p string) (group, version string, ok bool) {
	if v, found := strings.CutPrefix(p, "api/"); found {
		return "", v, v != "" && !strings.Contains(v, "/")
	}
	rest, found := strings.CutPrefix(p, "apis/")
	if !found {
		return "", "", false
	}
	group, version, ok = strings.Cut(rest, "/")
	return group, version, ok && group != "" && version != "" && !strings.Contains(version, "/")
}
