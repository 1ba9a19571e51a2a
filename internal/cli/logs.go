package cli

import (
	"fmt"
	"io"

	"github.com/spf13/cobra"
)

func newLogsCommand(e *env) *cobra.Command {
	var follow bool
	cmd := &cobra.Command{
		Use:   "logs NAME",
		Short: "Print the serial console log of a VirtualMachineInstance",
		Long: "Print what the guest wrote on its serial console since its start. With -f, keep " +
			"printing as it writes more, until interrupted or the VM's process ends.",
		Example: "  vigil logs myvm\n  vigil logs myvm -f -n prod",
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runLogs(cmd, e, args[0], follow)
		},
	}
	cmd.Flags().BoolVarP(&follow, "follow", "f", false, "keep printing the log as the guest writes it")
	return cmd
}

func runLogs(cmd *cobra.Command, e *env, name string, follow bool) error {
	c, err := e.client(cmd)
	if err != nil {
		return err
	}
	ctx := cmd.Context()
	log, err := c.Logs(ctx, e.namespace, name, follow)
	if err != nil {
		return reportError(cmd, err)
	}
	defer log.Close()
	if _, err := io.Copy(cmd.OutOrStdout(), log); err != nil && ctx.Err() == nil {
		return fmt.Errorf("reading the log of VMI %q: %w", name, err)
	}
	return nil
}
