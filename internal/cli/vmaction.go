package cli

import (
	"fmt"

	"github.com/spf13/cobra"
)

// newVMActionCommand builds `vigil start|stop|restart NAME`, KubeVirt's
// subresources as virtctl offers them.
func newVMActionCommand(e *env, action string) *cobra.Command {
	return &cobra.Command{
		Use:   action + " NAME",
		Short: fmt.Sprintf("Ask for a %s of a VirtualMachine", action),
		Long: fmt.Sprintf("Send a %s request to the VirtualMachine; its controller acts on it "+
			"unless the run strategy refuses (for example, Always does not support manual start requests).", action),
		Example: fmt.Sprintf("  vigil %s myvm -n prod", action),
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := e.client(cmd)
			if err != nil {
				return err
			}
			if err := c.VMAction(cmd.Context(), e.namespace, args[0], action, nil); err != nil {
				return reportError(cmd, err)
			}
			fprintf(cmd.OutOrStdout(), "VM %s was scheduled to %s\n", args[0], action)
			return nil
		},
	}
}
