package manifest

import (
	"bytes"
	"encoding"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"reflect"
	"slices"
	"strconv"
	"strings"

	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
)

// maxFieldErrors bounds the report for a document that is wrong everywhere
// (sigs.k8s.io/json stops at the same number).
const maxFieldErrors = 100

var (
	jsonUnmarshalerType = reflect.TypeFor[json.Unmarshaler]()
	textUnmarshalerType = reflect.TypeFor[encoding.TextUnmarshaler]()
)

// expectedTypes describes, for users, the JSON a type with its own
// UnmarshalJSON accepts.
var expectedTypes = map[reflect.Type]string{
	reflect.TypeFor[intstr.IntOrString](): "an integer or a string",
	reflect.TypeFor[resource.Quantity]():  `a quantity such as "128Mi" or 1`,
	reflect.TypeFor[metav1.Time]():        `an RFC 3339 time such as "2006-01-02T15:04:05Z"`,
}

// typeChecker walks a decoded JSON document alongside the Go type it must
// fit, and records every value of the wrong type and every unknown field,
// with JSON paths in the form sigs.k8s.io/json uses ("spec.volumes[0].name").
type typeChecker struct {
	errs []*FieldError
}

// checkTypes reports every place where doc does not fit t. It is the slow
// path, used only once the decoder has failed.
func checkTypes(doc []byte, t reflect.Type) []*FieldError {
	dec := json.NewDecoder(bytes.NewReader(doc))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil
	}
	c := &typeChecker{}
	c.check("", v, t)
	return c.errs
}

func (c *typeChecker) add(path string, typ metav1.CauseType, msg string) {
	if len(c.errs) < maxFieldErrors {
		c.errs = append(c.errs, &FieldError{Type: typ, Field: path, Message: msg})
	}
}

func (c *typeChecker) wrongType(path string, v any, expected string) {
	c.add(path, metav1.CauseTypeTypeInvalid, fmt.Sprintf("expected %s, got %s", expected, describe(v)))
}

func (c *typeChecker) check(path string, v any, t reflect.Type) {
	if v == nil { // null leaves any field at its zero value
		return
	}
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch pt := reflect.PointerTo(t); {
	case pt.Implements(jsonUnmarshalerType):
		c.checkUnmarshaler(path, v, t)
		return
	case pt.Implements(textUnmarshalerType):
		if _, ok := v.(string); !ok {
			c.wrongType(path, v, "a string")
		}
		return
	}
	switch t.Kind() {
	case reflect.Struct:
		c.checkStruct(path, v, t)
	case reflect.Map:
		c.checkMap(path, v, t)
	case reflect.Slice, reflect.Array:
		c.checkList(path, v, t)
	case reflect.String:
		c.checkIs(path, v, "a string", func(v any) bool { _, ok := v.(string); return ok })
	case reflect.Bool:
		c.checkIs(path, v, "a boolean", func(v any) bool { _, ok := v.(bool); return ok })
	case reflect.Float32, reflect.Float64:
		c.checkIs(path, v, "a number", func(v any) bool { _, ok := v.(json.Number); return ok })
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		c.checkInteger(path, v, t)
	}
}

func (c *typeChecker) checkIs(path string, v any, expected string, ok func(any) bool) {
	if !ok(v) {
		c.wrongType(path, v, expected)
	}
}

func (c *typeChecker) checkUnmarshaler(path string, v any, t reflect.Type) {
	raw, err := json.Marshal(v)
	if err != nil {
		return
	}
	target := reflect.New(t).Interface().(json.Unmarshaler)
	if err := target.UnmarshalJSON(raw); err != nil {
		if expected, ok := expectedTypes[t]; ok {
			c.wrongType(path, v, expected)
			return
		}
		c.add(path, metav1.CauseTypeTypeInvalid, fmt.Sprintf("invalid value %s: %v", describe(v), err))
	}
}

func (c *typeChecker) checkStruct(path string, v any, t reflect.Type) {
	m, ok := v.(map[string]any)
	if !ok {
		c.wrongType(path, v, "an object")
		return
	}
	fields := fieldTypes(t)
	for _, k := range sortedKeys(m) {
		ft, known := fields[k]
		if !known {
			c.add(joinPath(path, k), CauseTypeFieldValueUnknown, "unknown field")
			continue
		}
		c.check(joinPath(path, k), m[k], ft)
	}
}

func (c *typeChecker) checkMap(path string, v any, t reflect.Type) {
	m, ok := v.(map[string]any)
	if !ok {
		c.wrongType(path, v, "an object")
		return
	}
	for _, k := range sortedKeys(m) {
		c.check(joinPath(path, k), m[k], t.Elem())
	}
}

func (c *typeChecker) checkList(path string, v any, t reflect.Type) {
	if t.Kind() == reflect.Slice && t.Elem().Kind() == reflect.Uint8 {
		s, ok := v.(string)
		if _, err := base64.StdEncoding.DecodeString(s); !ok || err != nil {
			c.wrongType(path, v, "a base64-encoded string")
		}
		return
	}
	items, ok := v.([]any)
	if !ok {
		c.wrongType(path, v, "an array")
		return
	}
	for i, item := range items {
		c.check(fmt.Sprintf("%s[%d]", path, i), item, t.Elem())
	}
}

func (c *typeChecker) checkInteger(path string, v any, t reflect.Type) {
	n, ok := v.(json.Number)
	if !ok {
		c.wrongType(path, v, "an integer")
		return
	}
	zero := reflect.New(t).Elem()
	if t.Kind() >= reflect.Uint && t.Kind() <= reflect.Uint64 {
		u, err := strconv.ParseUint(string(n), 10, 64)
		if err != nil || zero.OverflowUint(u) {
			c.wrongType(path, v, "a non-negative integer that fits "+t.Kind().String())
		}
		return
	}
	i, err := strconv.ParseInt(string(n), 10, 64)
	if err != nil || zero.OverflowInt(i) {
		c.wrongType(path, v, "an integer that fits "+t.Kind().String())
	}
}

// JSONField is one struct field as encoding/json sees it.
type JSONField struct {
	Name     string
	Type     reflect.Type
	Tag      reflect.StructTag
	Required bool // no omitempty/omitzero: always written
}

// JSONFields lists a struct's JSON fields the way encoding/json sees
// them: tag names, Go names for untagged fields, embedded structs without
// a tag name flattened (a field of the outer struct wins over an embedded
// one of the same name), "-" and unexported fields skipped. Strict
// decoding here and the API server's OpenAPI schemas and field pruning
// read the types through it.
func JSONFields(t reflect.Type) []JSONField {
	var out []JSONField
	seen := map[string]bool{}
	var embedded []reflect.Type
	for i := range t.NumField() {
		f := t.Field(i)
		tag := f.Tag.Get("json")
		if tag == "-" {
			continue
		}
		name, opts, _ := strings.Cut(tag, ",")
		ft := f.Type
		for ft.Kind() == reflect.Pointer {
			ft = ft.Elem()
		}
		if f.Anonymous && name == "" && ft.Kind() == reflect.Struct {
			embedded = append(embedded, ft)
			continue
		}
		if !f.IsExported() {
			continue
		}
		if name == "" {
			name = f.Name
		}
		seen[name] = true
		out = append(out, JSONField{Name: name, Type: f.Type, Tag: f.Tag,
			Required: !strings.Contains(opts, "omitempty") && !strings.Contains(opts, "omitzero")})
	}
	for _, et := range embedded {
		for _, f := range JSONFields(et) {
			if !seen[f.Name] {
				seen[f.Name] = true
				out = append(out, f)
			}
		}
	}
	return out
}

// fieldTypes is JSONFields by name.
func fieldTypes(t reflect.Type) map[string]reflect.Type {
	fields := map[string]reflect.Type{}
	for _, f := range JSONFields(t) {
		fields[f.Name] = f.Type
	}
	return fields
}

func joinPath(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

func sortedKeys(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// describe names a decoded JSON value for messages: `string "10"`, `number 1.5`.
func describe(v any) string {
	switch v := v.(type) {
	case string:
		if len(v) > 40 {
			v = v[:37] + "..."
		}
		return "string " + strconv.Quote(v)
	case json.Number:
		return "number " + string(v)
	case bool:
		return "boolean " + strconv.FormatBool(v)
	case map[string]any:
		return "object"
	case []any:
		return "array"
	}
	return "null"
}

// describeJSON names a raw JSON value for messages.
func describeJSON(raw []byte) string {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return "invalid JSON"
	}
	return describe(v)
}
