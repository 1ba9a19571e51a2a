package cli

import "github.com/spf13/cobra"

// addClientCommands adds every client subcommand to root.
func addClientCommands(root *cobra.Command) {}
