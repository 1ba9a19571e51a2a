package cli

import (
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/spf13/cobra"
)

func newGuestExecCommand(e *env) *cobra.Command {
	var timeout time.Duration
	cmd := &cobra.Command{
		Use:   "guest-exec NAME [--timeout 30s] -- COMMAND [ARG...]",
		Short: "Run a command in the guest of a VirtualMachineInstance through its guest agent",
		Long: "Run a command in the guest through the QEMU guest agent, without a shell, and wait " +
			"for it to end. Its stdout and stderr are printed once it has ended, and vigil exits " +
			"with its exit code.",
		Example: "  vigil guest-exec myvm -- cat /etc/hostname\n" +
			"  vigil guest-exec myvm --timeout 2m -- sh -c 'dmesg | tail'",
		Args: guestExecArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return runGuestExec(cmd, e, args[0], args[1:], timeout)
		},
	}
	cmd.Flags().DurationVar(&timeout, "timeout", 30*time.Second, "how long the command may run in the guest (whole seconds, at most 1h)")
	return cmd
}

// guestExecArgs wants one name and a command, the command after "--" when
// there is one.
func guestExecArgs(cmd *cobra.Command, args []string) error {
	if dash := cmd.ArgsLenAtDash(); dash > 1 || dash == 0 {
		return errors.New("guest-exec takes exactly one VMI name before --")
	}
	switch len(args) {
	case 0:
		return errors.New("guest-exec needs a VMI name and a command: guest-exec NAME -- COMMAND [ARG...]")
	case 1:
		return fmt.Errorf("guest-exec in VMI %q: no command given after --", args[0])
	}
	return nil
}

func runGuestExec(cmd *cobra.Command, e *env, name string, argv []string, timeout time.Duration) error {
	if timeout <= 0 {
		return fmt.Errorf("--timeout: must be positive, not %s", timeout)
	}
	c, err := e.client(cmd)
	if err != nil {
		return err
	}
	res, err := c.GuestExec(cmd.Context(), e.namespace, name, argv, timeout)
	if err != nil {
		return reportError(cmd, err)
	}
	_, _ = io.WriteString(cmd.OutOrStdout(), res.Stdout)
	_, _ = io.WriteString(cmd.ErrOrStderr(), res.Stderr)
	if res.Truncated {
		fprintf(cmd.ErrOrStderr(), "Warning: the guest agent cut the output of %q short\n", argv[0])
	}
	if res.ExitCode != 0 {
		return &ExitError{Code: exitStatus(res.ExitCode)}
	}
	return nil
}

// exitStatus maps a guest exit code onto a process exit status: the
// kernel keeps only the low 8 bits, which would turn 256 into success.
func exitStatus(code int) int {
	if code < 1 || code > 255 {
		return 255
	}
	return code
}
