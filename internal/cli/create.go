package cli

import (
	"github.com/spf13/cobra"
	"k8s.io/apimachinery/pkg/api/meta"

	"vigil.dev/vigil/internal/client"
)

func newCreateCommand(e *env) *cobra.Command {
	var files []string
	cmd := &cobra.Command{
		Use:   "create -f FILE",
		Short: "Create objects from YAML or JSON manifests",
		Long: "Create every object of the manifests, in order. All documents are decoded first: " +
			"a decoding error in any of them creates nothing.",
		Example: "  vigil create -f vm.yaml\n  cat vm.yaml | vigil create -f -",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runCreate(cmd, e, files)
		},
	}
	fileFlag(cmd, &files, "to create")
	return cmd
}

func runCreate(cmd *cobra.Command, e *env, files []string) error {
	return eachManifest(cmd, e, files, "creating", func(c *client.Client, o manifestObject) (string, string, error) {
		if err := c.Create(cmd.Context(), o.r, o.obj); err != nil {
			return "", "", err
		}
		name := o.name
		if m, err := meta.Accessor(o.obj); err == nil && m.GetName() != "" {
			name = m.GetName() // the server's, when it generated one
		}
		return name, "created", nil
	})
}

func quote(s string) string { return "\"" + s + "\"" }
