package client

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"reflect"
	"strconv"

	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/version"

	v1 "vigil.dev/vigil/api/v1"
	"vigil.dev/vigil/internal/resource"
)

// DefaultNamespace is used for namespaced objects that name none.
const DefaultNamespace = "default"

// ListOptions select and page a list or a watch.
type ListOptions struct {
	LabelSelector   string
	FieldSelector   string
	Limit           int64
	Continue        string
	ResourceVersion string
}

func (o ListOptions) query() url.Values {
	q := url.Values{}
	set := func(k, v string) {
		if v != "" {
			q.Set(k, v)
		}
	}
	set("labelSelector", o.LabelSelector)
	set("fieldSelector", o.FieldSelector)
	set("continue", o.Continue)
	set("resourceVersion", o.ResourceVersion)
	if o.Limit > 0 {
		q.Set("limit", strconv.FormatInt(o.Limit, 10))
	}
	return q
}

// Get reads one object into `into` (a pointer of r.New()'s type).
func (c *Client) Get(ctx context.Context, r *resource.Info, ns, name string, into runtime.Object) error {
	if name == "" {
		return fmt.Errorf("get %s: a name is required", r.Resource)
	}
	return c.doInto(ctx, http.MethodGet, r.Path(ns, name), nil, nil, "", into)
}

// List reads a collection into `into` (a pointer of r.NewList()'s type).
// An empty ns lists every namespace.
func (c *Client) List(ctx context.Context, r *resource.Info, ns string, opts ListOptions, into runtime.Object) error {
	return c.doInto(ctx, http.MethodGet, r.Path(ns, ""), opts.query(), nil, "", into)
}

// Create stores obj in its namespace ("default" when it names none) and
// replaces obj with the object the server answers.
func (c *Client) Create(ctx context.Context, r *resource.Info, obj runtime.Object) error {
	ns, _, err := nsName(r, obj)
	if err != nil {
		return err
	}
	body, err := json.Marshal(obj)
	if err != nil {
		return fmt.Errorf("encoding %s: %w", r.Kind, err)
	}
	return c.doInto(ctx, http.MethodPost, r.Path(ns, ""), nil, body, "", obj)
}

// Update replaces an object (PUT) and leaves the stored result in obj.
func (c *Client) Update(ctx context.Context, r *resource.Info, obj runtime.Object) error {
	return c.put(ctx, r, obj, "")
}

// UpdateStatus replaces an object's status (PUT .../status).
func (c *Client) UpdateStatus(ctx context.Context, r *resource.Info, obj runtime.Object) error {
	return c.put(ctx, r, obj, "/status")
}

func (c *Client) put(ctx context.Context, r *resource.Info, obj runtime.Object, suffix string) error {
	ns, name, err := nsName(r, obj)
	if err != nil {
		return err
	}
	if name == "" {
		return fmt.Errorf("update %s: metadata.name is required", r.Resource)
	}
	body, err := json.Marshal(obj)
	if err != nil {
		return fmt.Errorf("encoding %s %q: %w", r.Kind, name, err)
	}
	return c.doInto(ctx, http.MethodPut, r.Path(ns, name)+suffix, nil, body, "", obj)
}

// Patch sends a patch of type pt and reads the patched object into `into`.
func (c *Client) Patch(ctx context.Context, r *resource.Info, ns, name string, pt types.PatchType, data []byte, into runtime.Object) error {
	if name == "" {
		return fmt.Errorf("patch %s: a name is required", r.Resource)
	}
	return c.doInto(ctx, http.MethodPatch, r.Path(ns, name), nil, data, string(pt), into)
}

// Delete removes an object.
func (c *Client) Delete(ctx context.Context, r *resource.Info, ns, name string, opts metav1.DeleteOptions) error {
	if name == "" {
		return fmt.Errorf("delete %s: a name is required", r.Resource)
	}
	opts.TypeMeta = metav1.TypeMeta{APIVersion: "v1", Kind: "DeleteOptions"}
	body, err := json.Marshal(opts)
	if err != nil {
		return fmt.Errorf("encoding delete options: %w", err)
	}
	_, err = c.Do(ctx, http.MethodDelete, r.Path(ns, name), nil, body, "")
	return err
}

// VMAction asks for a start, stop or restart of a VirtualMachine through
// KubeVirt's subresource. body (may be nil) is sent as JSON.
func (c *Client) VMAction(ctx context.Context, ns, name, action string, body any) error {
	switch action {
	case "start", "stop", "restart":
	default:
		return fmt.Errorf("virtual machine %q: unknown action %q (want start, stop or restart)", name, action)
	}
	if ns == "" {
		ns = DefaultNamespace
	}
	data := []byte("{}")
	if body != nil {
		var err error
		if data, err = json.Marshal(body); err != nil {
			return fmt.Errorf("encoding %s options for virtual machine %q: %w", action, name, err)
		}
	}
	p := "/apis/" + v1.SubresourceGroupName + "/v1/namespaces/" + url.PathEscape(ns) +
		"/virtualmachines/" + url.PathEscape(name) + "/" + action
	_, err := c.Do(ctx, http.MethodPut, p, nil, data, "")
	return err
}

// ServerVersion reads GET /version.
func (c *Client) ServerVersion(ctx context.Context) (*version.Info, error) {
	resp, err := c.Do(ctx, http.MethodGet, "/version", nil, nil, "")
	if err != nil {
		return nil, err
	}
	var info version.Info
	if err := json.Unmarshal(resp.Body, &info); err != nil {
		return nil, fmt.Errorf("decoding the server version: %w", err)
	}
	return &info, nil
}

// doInto performs a request and decodes a good answer into `into`, which is
// reset first so nothing of its old content survives.
func (c *Client) doInto(ctx context.Context, method, path string, q url.Values, body []byte, ct string, into runtime.Object) error {
	resp, err := c.Do(ctx, method, path, q, body, ct)
	if err != nil {
		return err
	}
	if into == nil {
		return nil
	}
	resetObject(into)
	if err := json.Unmarshal(resp.Body, into); err != nil {
		return fmt.Errorf("decoding the answer to %s %s: %w", method, path, err)
	}
	return nil
}

func resetObject(obj runtime.Object) {
	v := reflect.ValueOf(obj)
	if v.Kind() == reflect.Pointer && !v.IsNil() {
		v.Elem().Set(reflect.Zero(v.Elem().Type()))
	}
}

// nsName reads an object's namespace (defaulted) and name.
func nsName(r *resource.Info, obj runtime.Object) (string, string, error) {
	m, err := meta.Accessor(obj)
	if err != nil {
		return "", "", fmt.Errorf("%s: %w", r.Kind, err)
	}
	ns := m.GetNamespace()
	if !r.Namespaced {
		ns = ""
	} else if ns == "" {
		ns = DefaultNamespace
	}
	return ns, m.GetName(), nil
}
