package apiserver

import (
	"net/http"
	"reflect"
	"strings"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"vigil.dev/vigil/internal/resource"
)

// Definitions every group document needs besides its kinds.
var (
	statusType        = reflect.TypeFor[metav1.Status]()
	deleteOptionsType = reflect.TypeFor[metav1.DeleteOptions]()
	patchType         = reflect.TypeFor[metav1.Patch]()
)

// apiParam is one query or path parameter of an operation.
type apiParam struct {
	name, in, typ, description string
}

// Query parameters, with Kubernetes' meaning.
var (
	paramNamespace = apiParam{"namespace", "path", "string", "object name and auth scope, such as for teams and projects"}
	paramName      = apiParam{"name", "path", "string", "name of the object"}
	// fieldValidation is what tells kubectl (1.27+) to leave validation to
	// the server instead of downloading the schema to validate itself.
	paramFieldValidation = apiParam{"fieldValidation", "query", "string",
		"how the server handles unknown and duplicate fields: Strict (an error; the default), Warn (a Warning header each; dropped) or Ignore (dropped silently)"}
	paramDryRun       = apiParam{"dryRun", "query", "string", "All: check the request, store nothing"}
	paramFieldManager = apiParam{"fieldManager", "query", "string", "name of the actor making the change; required for apply"}
	paramForce        = apiParam{"force", "query", "boolean", "apply: take over fields other managers own instead of failing with a conflict"}
	listParams        = []apiParam{
		{"labelSelector", "query", "string", "select objects by label"},
		{"fieldSelector", "query", "string", "select objects by field (metadata.name, metadata.namespace, and per kind)"},
		{"limit", "query", "integer", "the most objects to return in one reply"},
		{"continue", "query", "string", "the token of the previous reply, for the next page"},
		{"resourceVersion", "query", "string", "watch: the version to start after"},
		{"timeoutSeconds", "query", "integer", "watch: end the stream after this many seconds"},
		{"watch", "query", "boolean", "stream changes instead of listing"},
		{"allowWatchBookmarks", "query", "boolean", "watch: send BOOKMARK events"},
	}
)

// bodyKind says what an operation's request body is.
type bodyKind int

const (
	noBody bodyKind = iota
	objectBody
	patchBody
	deleteBody
)

// apiOp is one operation, rendered into OpenAPI v3 and v2 alike.
type apiOp struct {
	method string // http.MethodGet...
	action string // x-kubernetes-action: get, list, post, put, patch, delete
	id     string // operationId
	params []apiParam
	body   bodyKind
	code   int
	reply  reflect.Type
}

// apiPath is one URL template and its operations.
type apiPath struct {
	path   string
	res    *resource.Info
	params []apiParam
	ops    []apiOp
}

// resourcePaths are the operations vigil serves for a resource: the
// collection in a namespace and across namespaces, one object, and its
// status subresource.
func resourcePaths(res *resource.Info) []apiPath {
	kind := reflect.TypeOf(res.New()).Elem()
	list := reflect.TypeOf(res.NewList()).Elem()
	idKind := res.Kind
	if res.Group == "" {
		idKind = "Core" + idKind
	}
	write := []apiParam{paramDryRun, paramFieldManager, paramFieldValidation}
	patch := append(append([]apiParam{}, write...), paramForce)
	nsPath := strings.Replace(res.Path("NS", ""), "/namespaces/NS/", "/namespaces/{namespace}/", 1)
	objOps := func(suffix string) []apiOp {
		return []apiOp{
			{http.MethodGet, "get", "read" + idKind + suffix, nil, noBody, 200, kind},
			{http.MethodPut, "put", "replace" + idKind + suffix, write, objectBody, 200, kind},
			{http.MethodPatch, "patch", "patch" + idKind + suffix, patch, patchBody, 200, kind},
		}
	}
	paths := []apiPath{
		{path: nsPath, res: res, params: []apiParam{paramNamespace}, ops: []apiOp{
			{http.MethodGet, "list", "list" + idKind, listParams, noBody, 200, list},
			{http.MethodPost, "post", "create" + idKind, write, objectBody, 201, kind},
		}},
		{path: nsPath + "/{name}", res: res, params: []apiParam{paramNamespace, paramName},
			ops: append(objOps(""), apiOp{http.MethodDelete, "delete", "delete" + idKind, []apiParam{paramDryRun}, deleteBody, 200, kind})},
		{path: res.Path("", ""), res: res, ops: []apiOp{
			{http.MethodGet, "list", "list" + idKind + "ForAllNamespaces", listParams, noBody, 200, list},
		}},
	}
	if res.HasStatus {
		paths = append(paths, apiPath{path: nsPath + "/{name}/status", res: res,
			params: []apiParam{paramNamespace, paramName}, ops: objOps("Status")})
	}
	return paths
}

// patchContentTypes are the patch formats a resource accepts; kubectl's
// client-side apply sends a strategic merge patch only where this lists
// it (the core kinds), a JSON merge patch elsewhere.
func patchContentTypes(res *resource.Info) []string {
	types := []string{jsonPatch, mergePatch, applyPatch}
	if res.Group == "" {
		types = append(types, strategicPatch)
	}
	return types
}

// gvkExtension is the x-kubernetes-group-version-kind of an operation.
func gvkExtension(res *resource.Info) map[string]any {
	return map[string]any{"group": res.Group, "version": res.Version, "kind": res.Kind}
}

// applyPatch is server-side apply's patch type (apply.go).
const applyPatch = "application/apply-patch+yaml"
