package cli

import (
	"fmt"
	"io"
	"time"

	"github.com/spf13/cobra"

	"vigil.dev/vigil/internal/client"
)

// addClientCommands adds every client subcommand to root, and the flags
// that say how to reach the daemon (persistent, so `vigil -n x get vm` works
// as kubectl's does).
func addClientCommands(root *cobra.Command) {
	addClientCommandsWith(root, &env{now: time.Now})
}

// env is what client commands share: how to reach the daemon and the clock
// (tests fix it, so AGE columns are predictable).
type env struct {
	now func() time.Time

	server, token, caFile string
	insecure              bool
	namespace             string
	timeout               time.Duration
}

func addClientCommandsWith(root *cobra.Command, e *env) {
	fromEnv := client.ConfigFromEnv()
	f := root.PersistentFlags()
	f.StringVar(&e.server, "server", fromEnv.Server, "address of the vigil daemon: unix:///path or https://host:port (env "+client.EnvServer+"; default "+client.DefaultServer+")")
	f.StringVar(&e.token, "token", fromEnv.Token, "bearer token for the API server (env "+client.EnvToken+")")
	f.StringVar(&e.caFile, "certificate-authority", fromEnv.CAFile, "PEM file of the certificate authority of an https server (env "+client.EnvCAFile+")")
	f.BoolVar(&e.insecure, "insecure-skip-tls-verify", false, "do not check the https server's certificate (insecure)")
	f.StringVarP(&e.namespace, "namespace", "n", client.DefaultNamespace, "namespace of the objects")
	f.DurationVar(&e.timeout, "request-timeout", 0, "time limit of each request other than watches (0: none)")

	root.AddCommand(
		newCreateCommand(e),
		newApplyCommand(e),
		newDeleteCommand(e),
		newGetCommand(e),
		newDescribeCommand(e),
		newExposeCommand(e),
		newVMActionCommand(e, "start"),
		newVMActionCommand(e, "stop"),
		newVMActionCommand(e, "restart"),
		newPauseCommand(e, "pause"),
		newPauseCommand(e, "unpause"),
		newWaitCommand(e),
		newConsoleCommand(e),
		newLogsCommand(e),
		newGuestExecCommand(e),
		newVersionCommand(e),
		newKubeconfigCommand(e),
		newCompletionCommand(),
	)
}

// client builds an API client whose warnings go to the command's stderr.
func (e *env) client(cmd *cobra.Command) (*client.Client, error) {
	stderr := cmd.ErrOrStderr()
	return client.New(client.Config{
		Server:                e.server,
		Token:                 e.token,
		CAFile:                e.caFile,
		InsecureSkipTLSVerify: e.insecure,
		Timeout:               e.timeout,
		UserAgent:             "vigil/" + clientVersion(),
		WarningHandler:        func(msg string) { fmt.Fprintf(stderr, "Warning: %s\n", msg) },
	})
}

// namespaceSet reports whether -n was given on the command line.
func namespaceSet(cmd *cobra.Command) bool {
	f := cmd.Flags().Lookup("namespace")
	return f != nil && f.Changed
}

// failed is the error a command returns after it has printed its own
// messages: exit 1, nothing more printed.
func failed() error { return &ExitError{Code: 1} }

func fprintf(w io.Writer, format string, args ...any) { _, _ = fmt.Fprintf(w, format, args...) }
