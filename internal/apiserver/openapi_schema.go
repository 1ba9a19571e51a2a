package apiserver

import (
	"encoding/json"
	"reflect"
	"strings"

	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/kube-openapi/pkg/validation/spec"

	"vigil.dev/vigil/internal/manifest"
)

// Reference prefixes of the two OpenAPI versions.
const (
	refPrefixV3 = "#/components/schemas/"
	refPrefixV2 = "#/definitions/"
)

// Extension names Kubernetes' OpenAPI uses (and kubectl and the
// structured-merge-diff converter read).
const (
	extGVK             = "x-kubernetes-group-version-kind"
	extPatchStrategy   = "x-kubernetes-patch-strategy"
	extPatchMergeKey   = "x-kubernetes-patch-merge-key"
	extListType        = "x-kubernetes-list-type"
	extListMapKeys     = "x-kubernetes-list-map-keys"
	extIntOrString     = "x-kubernetes-int-or-string"
	extPreserveUnknown = "x-kubernetes-preserve-unknown-fields"
	extAction          = "x-kubernetes-action"
)

// opaqueTypes marshal themselves to JSON scalars (or free-form objects):
// their schema is what they look like on the wire, not their Go fields.
var opaqueTypes = map[reflect.Type]func() spec.Schema{
	reflect.TypeFor[metav1.Time]():      func() spec.Schema { return *spec.DateTimeProperty() },
	reflect.TypeFor[metav1.MicroTime](): func() spec.Schema { return *spec.DateTimeProperty() },
	reflect.TypeFor[metav1.Duration]():  func() spec.Schema { return *spec.StringProperty() },
	// The structured-merge-diff converter knows Quantity by its definition
	// name and accepts numbers and strings for it.
	reflect.TypeFor[resource.Quantity](): func() spec.Schema {
		s := spec.StringProperty()
		s.Extensions = spec.Extensions{extIntOrString: true}
		return *s
	},
	reflect.TypeFor[intstr.IntOrString](): func() spec.Schema {
		s := spec.StrFmtProperty("int-or-string")
		s.Extensions = spec.Extensions{extIntOrString: true}
		return *s
	},
	reflect.TypeFor[metav1.FieldsV1]():      func() spec.Schema { return spec.Schema{SchemaProps: spec.SchemaProps{Type: []string{"object"}}} },
	reflect.TypeFor[runtime.RawExtension](): freeForm,
	reflect.TypeFor[json.RawMessage]():      freeForm,
}

// freeForm is any JSON value, kept as it is.
func freeForm() spec.Schema {
	s := spec.Schema{}
	s.Extensions = spec.Extensions{extPreserveUnknown: true}
	return s
}

// fieldOverrides are list semantics Kubernetes keeps in comment markers
// (+listType, +listMapKey, +default), which reflection cannot see; they
// matter to server-side apply, which merges these lists by key.
var fieldOverrides = map[string]map[string]spec.Extensions{
	"io.k8s.api.core.v1.ServiceSpec": {
		"ports": {extListType: "map", extListMapKeys: []any{"port", "protocol"}},
	},
	"io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta": {
		"ownerReferences": {extListType: "map", extListMapKeys: []any{"uid"}},
		"finalizers":      {extListType: "set"},
		"managedFields":   {extListType: "atomic"},
	},
}

// fieldDefaults are defaults Kubernetes declares for fields that are keys
// of such lists: a key left out of an applied item takes this value.
var fieldDefaults = map[string]map[string]any{
	"io.k8s.api.core.v1.ServicePort": {"protocol": "TCP"},
}

// schemaGen builds OpenAPI definitions from Go types by reflection over
// their json tags: each struct (and each opaque type) becomes a named
// definition, referenced with refPrefix.
type schemaGen struct {
	refPrefix string
	defs      map[string]*spec.Schema
}

func newSchemaGen(refPrefix string) *schemaGen {
	return &schemaGen{refPrefix: refPrefix, defs: map[string]*spec.Schema{}}
}

// definitionName is Kubernetes' naming: the Go package path with its
// domain reversed, then the type name: k8s.io/api/core/v1.Service is
// "io.k8s.api.core.v1.Service".
func definitionName(t reflect.Type) string {
	parts := strings.Split(t.PkgPath(), "/")
	domain := strings.Split(parts[0], ".")
	for i, j := 0, len(domain)-1; i < j; i, j = i+1, j-1 {
		domain[i], domain[j] = domain[j], domain[i]
	}
	return strings.Join(append(domain, parts[1:]...), ".") + "." + t.Name()
}

// ref is a schema pointing at a definition.
func (g *schemaGen) ref(name string) spec.Schema {
	return *spec.RefSchema(g.refPrefix + name)
}

// define makes t's definition (once) and returns its name.
func (g *schemaGen) define(t reflect.Type) string {
	name := definitionName(t)
	if _, done := g.defs[name]; done {
		return name
	}
	if opaque, ok := opaqueTypes[t]; ok {
		s := opaque()
		g.defs[name] = &s
		return name
	}
	s := &spec.Schema{SchemaProps: spec.SchemaProps{Type: []string{"object"}, Properties: map[string]spec.Schema{}}}
	g.defs[name] = s // before the fields: a type may refer to itself
	for _, f := range manifest.JSONFields(t) {
		prop := g.schemaOf(f.Type)
		g.addFieldExtensions(name, f, &prop)
		s.Properties[f.Name] = prop
		if f.Required {
			s.Required = append(s.Required, f.Name)
		}
	}
	return name
}

// schemaOf is the schema of a value of type t: a reference for structs
// and opaque types, inline for everything else.
func (g *schemaGen) schemaOf(t reflect.Type) spec.Schema {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if _, ok := opaqueTypes[t]; ok || t.Kind() == reflect.Struct {
		return g.ref(g.define(t))
	}
	switch t.Kind() {
	case reflect.Map:
		elem := g.schemaOf(t.Elem())
		return *spec.MapProperty(&elem)
	case reflect.Slice, reflect.Array:
		if t.Elem().Kind() == reflect.Uint8 {
			return *spec.StrFmtProperty("byte")
		}
		elem := g.schemaOf(t.Elem())
		return *spec.ArrayProperty(&elem)
	case reflect.String:
		return *spec.StringProperty()
	case reflect.Bool:
		return *spec.BooleanProperty()
	case reflect.Int8, reflect.Int16, reflect.Int32, reflect.Uint8, reflect.Uint16:
		return *spec.Int32Property()
	case reflect.Int, reflect.Int64, reflect.Uint, reflect.Uint32, reflect.Uint64:
		return *spec.Int64Property()
	case reflect.Float32, reflect.Float64:
		return *spec.Float64Property()
	}
	return freeForm()
}

// addFieldExtensions adds what the struct tags and the overrides say about
// a field: patch strategy and merge key, list semantics, defaults. A
// reference with siblings is wrapped in allOf, as OpenAPI requires.
func (g *schemaGen) addFieldExtensions(owner string, f manifest.JSONField, prop *spec.Schema) {
	ext := spec.Extensions{}
	if v := f.Tag.Get("patchStrategy"); v != "" {
		ext[extPatchStrategy] = v
	}
	if v := f.Tag.Get("patchMergeKey"); v != "" {
		ext[extPatchMergeKey] = v
	}
	for k, v := range fieldOverrides[owner][f.Name] {
		ext[k] = v
	}
	def, hasDefault := fieldDefaults[owner][f.Name]
	if len(ext) == 0 && !hasDefault {
		return
	}
	if prop.Ref.String() != "" {
		*prop = spec.Schema{SchemaProps: spec.SchemaProps{AllOf: []spec.Schema{*prop}}}
	}
	if prop.Extensions == nil {
		prop.Extensions = spec.Extensions{}
	}
	for k, v := range ext {
		prop.Extensions[k] = v
	}
	if hasDefault {
		prop.Default = def
	}
}
