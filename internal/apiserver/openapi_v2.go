package apiserver

import (
	"encoding/json"
	"fmt"
	"net/http"
	"reflect"

	openapiv2 "github.com/google/gnostic-models/openapiv2"
	"google.golang.org/protobuf/proto"
	"k8s.io/kube-openapi/pkg/validation/spec"

	"vigil.dev/vigil/internal/resource"
)

// v2Document is the Swagger 2.0 document of everything served: kubectl
// falls back to it (as protobuf) where the v3 documents do not serve.
func v2Document() *spec.Swagger {
	g := newSchemaGen(refPrefixV2)
	defineKinds(g, resource.All)
	doc := &spec.Swagger{SwaggerProps: spec.SwaggerProps{
		Swagger:     "2.0",
		Info:        &spec.Info{InfoProps: spec.InfoProps{Title: openAPITitle, Version: kubeVersion}},
		Paths:       &spec.Paths{Paths: map[string]spec.PathItem{}},
		Definitions: spec.Definitions{},
	}}
	for _, res := range resource.All {
		for _, p := range resourcePaths(res) {
			doc.Paths.Paths[p.path] = v2Path(g, p)
		}
	}
	for name, s := range g.defs {
		doc.Definitions[name] = *s
	}
	return doc
}

func v2Path(g *schemaGen, p apiPath) spec.PathItem {
	var item spec.PathItem
	for _, prm := range p.params {
		item.Parameters = append(item.Parameters, v2Param(prm))
	}
	for _, op := range p.ops {
		o := &spec.Operation{OperationProps: spec.OperationProps{
			ID:       op.id,
			Produces: []string{"application/json", "application/yaml"},
			Responses: &spec.Responses{ResponsesProps: spec.ResponsesProps{StatusCodeResponses: map[int]spec.Response{
				op.code: {ResponseProps: spec.ResponseProps{Description: "OK", Schema: ptrTo(g.ref(g.define(op.reply)))}},
			}}},
		}}
		o.Extensions = spec.Extensions{extAction: op.action, extGVK: gvkExtension(p.res)}
		for _, prm := range op.params {
			o.Parameters = append(o.Parameters, v2Param(prm))
		}
		if body, consumes := v2Body(g, p.res, op.body); body != nil {
			o.Parameters = append(o.Parameters, *body)
			o.Consumes = consumes
		}
		setV2Operation(&item, op.method, o)
	}
	return item
}

func v2Param(p apiParam) spec.Parameter {
	prm := spec.Parameter{ParamProps: spec.ParamProps{Name: p.name, In: p.in, Description: p.description, Required: p.in == "path"}}
	prm.Type = p.typ
	return prm
}

// v2Body is the body parameter of an operation and the types it consumes.
func v2Body(g *schemaGen, res *resource.Info, body bodyKind) (*spec.Parameter, []string) {
	var s spec.Schema
	var consumes []string
	switch body {
	case objectBody:
		s, consumes = g.ref(g.define(reflect.TypeOf(res.New()).Elem())), []string{"application/json", "application/yaml"}
	case patchBody:
		s, consumes = g.ref(definitionName(patchType)), patchContentTypes(res)
	case deleteBody:
		s, consumes = g.ref(g.define(deleteOptionsType)), []string{"application/json"}
	default:
		return nil, nil
	}
	return &spec.Parameter{ParamProps: spec.ParamProps{Name: "body", In: "body", Required: body != deleteBody, Schema: &s}}, consumes
}

func setV2Operation(p *spec.PathItem, method string, o *spec.Operation) {
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

// v2Protobuf encodes the Swagger document the way Kubernetes serves it to
// kubectl: gnostic's OpenAPI v2 protobuf message.
func v2Protobuf(doc *spec.Swagger) (jsonDoc, protoDoc []byte, err error) {
	jsonDoc, err = json.Marshal(doc)
	if err != nil {
		return nil, nil, fmt.Errorf("encoding the OpenAPI v2 document: %w", err)
	}
	parsed, err := openapiv2.ParseDocument(jsonDoc)
	if err != nil {
		return nil, nil, fmt.Errorf("converting the OpenAPI v2 document to protobuf: %w", err)
	}
	protoDoc, err = proto.Marshal(parsed)
	if err != nil {
		return nil, nil, fmt.Errorf("encoding the OpenAPI v2 protobuf: %w", err)
	}
	return jsonDoc, protoDoc, nil
}

func ptrTo[T any](v T) *T { return &v }
