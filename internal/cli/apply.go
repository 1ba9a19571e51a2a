package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"

	"github.com/spf13/cobra"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/jsonmergepatch"
	"k8s.io/apimachinery/pkg/util/mergepatch"

	"vigil.dev/vigil/internal/client"
)

// lastAppliedAnnotation holds the configuration apply last sent, so the next
// apply can tell a field the user removed from one someone else set.
const lastAppliedAnnotation = "kubectl.kubernetes.io/last-applied-configuration"

func newApplyCommand(e *env) *cobra.Command {
	var files []string
	cmd := &cobra.Command{
		Use:   "apply -f FILE",
		Short: "Create or update objects from manifests (client-side apply)",
		Long: "Create the objects that do not exist; patch the others with a three-way JSON merge patch " +
			"computed from the last applied configuration (annotation " + lastAppliedAnnotation + "), " +
			"the manifest and the live object.",
		Example: "  vigil apply -f vm.yaml",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runApply(cmd, e, files)
		},
	}
	fileFlag(cmd, &files, "to apply")
	return cmd
}

func runApply(cmd *cobra.Command, e *env, files []string) error {
	warn := func(msg string) { fprintf(cmd.ErrOrStderr(), "Warning: %s\n", msg) }
	return eachManifest(cmd, e, files, "applying", func(c *client.Client, o manifestObject) (string, string, error) {
		outcome, err := applyOne(cmd.Context(), c, o, warn)
		return o.name, outcome, err
	})
}

// applyOne creates or patches one object and says which: "created",
// "configured" or "unchanged". warn receives notes for the user.
func applyOne(ctx context.Context, c *client.Client, o manifestObject, warn func(string)) (string, error) {
	if o.name == "" {
		return "", fmt.Errorf("%s: apply needs metadata.name", o.r.Kind)
	}
	modified, err := withLastApplied(o.json)
	if err != nil {
		return "", err
	}
	resp, err := c.Do(ctx, http.MethodGet, o.r.Path(o.ns, o.name), nil, nil, "")
	if apierrors.IsNotFound(err) {
		obj := o.r.New()
		if err := json.Unmarshal(modified, obj); err != nil {
			return "", fmt.Errorf("%s %q: %w", o.r.Kind, o.name, err)
		}
		setNamespace(obj, o.ns)
		if err := c.Create(ctx, o.r, obj); err != nil {
			return "", err
		}
		return "created", nil
	}
	if err != nil {
		return "", err
	}
	original, err := lastApplied(resp.Body)
	if err != nil {
		return "", fmt.Errorf("%s %q: %w", o.r.Kind, o.name, err)
	}
	if original == nil {
		warn(fmt.Sprintf("%s/%s has no %s annotation (it was not created by apply); "+
			"it is added now, and fields set by other means are left alone", o.r.Resource, o.name, lastAppliedAnnotation))
	}
	patch, err := threeWayPatch(original, modified, resp.Body)
	if err != nil {
		return "", fmt.Errorf("%s %q: %w", o.r.Kind, o.name, err)
	}
	if string(patch) == "{}" {
		return "unchanged", nil
	}
	if err := c.Patch(ctx, o.r, o.ns, o.name, types.MergePatchType, patch, o.r.New()); err != nil {
		return "", err
	}
	return "configured", nil
}

// threeWayPatch computes the merge patch from the live object to the
// modified configuration, deleting what the last applied one had and the
// modified one dropped.
func threeWayPatch(original, modified, current []byte) ([]byte, error) {
	return jsonmergepatch.CreateThreeWayJSONMergePatch(original, modified, current,
		mergepatch.RequireKeyUnchanged("apiVersion"),
		mergepatch.RequireKeyUnchanged("kind"),
		mergepatch.RequireMetadataKeyUnchanged("name"))
}

// withLastApplied returns the document with the annotation holding the
// document itself (without the annotation), as kubectl stores it.
func withLastApplied(doc []byte) ([]byte, error) {
	var m map[string]any
	if err := json.Unmarshal(doc, &m); err != nil {
		return nil, fmt.Errorf("reading the manifest: %w", err)
	}
	md, _ := m["metadata"].(map[string]any)
	if md == nil {
		md = map[string]any{}
		m["metadata"] = md
	}
	ann, _ := md["annotations"].(map[string]any)
	if ann != nil {
		delete(ann, lastAppliedAnnotation)
		if len(ann) == 0 {
			delete(md, "annotations")
		}
	}
	self, err := json.Marshal(m)
	if err != nil {
		return nil, err
	}
	if ann == nil {
		ann = map[string]any{}
	}
	ann[lastAppliedAnnotation] = string(self) + "\n"
	md["annotations"] = ann
	return json.Marshal(m)
}

// setNamespace fills an object's namespace when it has none.
func setNamespace(obj runtime.Object, ns string) {
	if m, err := meta.Accessor(obj); err == nil && m.GetNamespace() == "" {
		m.SetNamespace(ns)
	}
}

// lastApplied reads the annotation of a live object (nil when absent).
func lastApplied(current []byte) ([]byte, error) {
	var obj struct {
		Metadata struct {
			Annotations map[string]string `json:"annotations"`
		} `json:"metadata"`
	}
	if err := json.Unmarshal(current, &obj); err != nil {
		return nil, fmt.Errorf("reading the live object: %w", err)
	}
	if s := obj.Metadata.Annotations[lastAppliedAnnotation]; s != "" {
		return []byte(s), nil
	}
	return nil, nil
}
