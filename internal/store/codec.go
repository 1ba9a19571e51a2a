package store

import (
	"encoding/json"
	"fmt"
	"reflect"
	"strconv"

	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"

	"vigil.dev/vigil/internal/resource"
)

// encode is obj as stored: JSON with apiVersion and kind of r, without
// resourceVersion (the key's revision is the truth). It sets obj's kind.
func encode(r *resource.Info, obj runtime.Object) ([]byte, error) {
	acc, err := meta.Accessor(obj)
	if err != nil {
		return nil, fmt.Errorf("encode %s: %w", r.Resource, err)
	}
	obj.GetObjectKind().SetGroupVersionKind(r.GroupVersionKind())
	rv := acc.GetResourceVersion()
	acc.SetResourceVersion("")
	data, err := json.Marshal(obj)
	acc.SetResourceVersion(rv)
	if err != nil {
		return nil, fmt.Errorf("encode %s %q: %w", r.Resource, acc.GetName(), err)
	}
	return data, nil
}

// decode fills into (zeroed first, so nothing of its old content stays)
// from stored data and sets its resourceVersion to rev.
func decode(data []byte, rev int64, into runtime.Object) error {
	if err := reset(into); err != nil {
		return err
	}
	if err := json.Unmarshal(data, into); err != nil {
		return fmt.Errorf("decode stored object: %w", err)
	}
	acc, err := meta.Accessor(into)
	if err != nil {
		return fmt.Errorf("decode stored object: %w", err)
	}
	acc.SetResourceVersion(formatRev(rev))
	return nil
}

// reset zeroes the value a non-nil pointer points at.
func reset(obj runtime.Object) error {
	v := reflect.ValueOf(obj)
	if v.Kind() != reflect.Pointer || v.IsNil() {
		return fmt.Errorf("store: want a non-nil pointer, got %T", obj)
	}
	v.Elem().SetZero()
	return nil
}

// storedMeta reads only the metadata of stored data.
func storedMeta(data []byte) (metav1.ObjectMeta, error) {
	var m struct {
		Metadata metav1.ObjectMeta `json:"metadata"`
	}
	if err := json.Unmarshal(data, &m); err != nil {
		return metav1.ObjectMeta{}, fmt.Errorf("decode stored metadata: %w", err)
	}
	return m.Metadata, nil
}

// sameType reports an error unless obj has the Go type of want.
func sameType(r *resource.Info, obj, want runtime.Object) error {
	if reflect.TypeOf(obj) != reflect.TypeOf(want) {
		return fmt.Errorf("store: %s takes %T, got %T", r.Resource, want, obj)
	}
	return nil
}

func formatRev(rev int64) string { return strconv.FormatInt(rev, 10) }

// parseRev reads a resourceVersion; "" is 0 (no precondition).
func parseRev(r *resource.Info, name, rv string) (int64, error) {
	if rv == "" {
		return 0, nil
	}
	n, err := strconv.ParseInt(rv, 10, 64)
	if err != nil || n <= 0 {
		return 0, badRequest(fmt.Sprintf("%s %q: metadata.resourceVersion %q is not a valid resource version", r.Resource, name, rv))
	}
	return n, nil
}
