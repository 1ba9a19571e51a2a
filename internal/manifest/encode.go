package manifest

import (
	"encoding/json"
	"fmt"

	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/runtime"
	"sigs.k8s.io/yaml"
)

// Output formats Encode understands.
const (
	FormatJSON = "json"
	FormatYAML = "yaml"
)

// Encode renders an object of a served kind (or a list of one) as JSON,
// indented as kubectl prints it, or as YAML, with apiVersion and kind set
// from internal/resource on the object and on every list item. The object
// itself is not changed.
func Encode(obj runtime.Object, format string) ([]byte, error) {
	if format != FormatJSON && format != FormatYAML {
		return nil, fmt.Errorf("unsupported output format %q: use %s or %s", format, FormatJSON, FormatYAML)
	}
	info := infoForObject(obj)
	if info == nil {
		return nil, fmt.Errorf("cannot encode %T: not a kind vigil serves", obj)
	}
	out := obj.DeepCopyObject()
	if meta.IsListType(out) {
		out.GetObjectKind().SetGroupVersionKind(info.GroupVersionKind().GroupVersion().WithKind(info.ListKind))
		err := meta.EachListItem(out, func(item runtime.Object) error {
			item.GetObjectKind().SetGroupVersionKind(info.GroupVersionKind())
			return nil
		})
		if err != nil {
			return nil, fmt.Errorf("encode %s: %w", info.ListKind, err)
		}
	} else {
		out.GetObjectKind().SetGroupVersionKind(info.GroupVersionKind())
	}
	if format == FormatYAML {
		data, err := yaml.Marshal(out)
		if err != nil {
			return nil, fmt.Errorf("encode %s as yaml: %w", info.Kind, err)
		}
		return data, nil
	}
	data, err := json.MarshalIndent(out, "", "    ")
	if err != nil {
		return nil, fmt.Errorf("encode %s as json: %w", info.Kind, err)
	}
	return append(data, '\n'), nil
}
