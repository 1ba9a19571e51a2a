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
	objs, errs := loadManifests(cmd, files, e.namespace, namespaceSet(cmd))
	if len(errs) > 0 {
		printErrors(cmd, errs)
		return failed()
	}
	c, err := e.client(cmd)
	if err != nil {
		return err
	}
	ok := true
	for _, o := range objs {
		err := c.Create(cmd.Context(), o.r, o.obj)
		if err != nil {
			fprintf(cmd.ErrOrStderr(), "%s\n", formatError(err, "error when creating "+quote(o.source)))
			if client.IsUnreachable(err) {
				return failed() // the daemon is out of reach: the next documents would fail the same way
			}
			ok = false
			continue
		}
		name := o.name
		if m, err := meta.Accessor(o.obj); err == nil && m.GetName() != "" {
			name = m.GetName() // the server's, when it generated one
		}
		fprintf(cmd.OutOrStdout(), "%s created\n", objectRef(o.r, name))
	}
	if !ok {
		return failed()
	}
	return nil
}

func quote(s string) string { return "\"" + s + "\"" }
