package cli

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/spf13/cobra"
	"golang.org/x/term"
)

// escapeByte is Ctrl-], the byte that detaches from a console, as in
// virtctl and telnet.
const escapeByte = 0x1d

// errDetached ends a session the user left with the escape byte.
var errDetached = errors.New("detached")

func newConsoleCommand(e *env) *cobra.Command {
	return &cobra.Command{
		Use:   "console NAME",
		Short: "Connect to the serial console of a VirtualMachineInstance",
		Long: "Connect to the serial console of a VirtualMachineInstance, one client at a time. " +
			"When stdin is a terminal it is put in raw mode and Ctrl-] detaches; otherwise stdin " +
			"and stdout are copied as they are and the session ends when stdin does.",
		Example: "  vigil console myvm\n  vigil console myvm -n prod",
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runConsole(cmd, e, args[0])
		},
	}
}

func runConsole(cmd *cobra.Command, e *env, name string) error {
	c, err := e.client(cmd)
	if err != nil {
		return err
	}
	conn, err := c.Console(cmd.Context(), e.namespace, name)
	if err != nil {
		return reportError(cmd, err)
	}
	defer conn.Close()
	in, out := cmd.InOrStdin(), cmd.OutOrStdout()
	tty, isTTY := in.(*os.File)
	if !isTTY || !term.IsTerminal(int(tty.Fd())) {
		return consoleEnded(name, attach(cmd.Context(), conn, in, out, false))
	}
	fprintf(cmd.ErrOrStderr(), "Successfully connected to %s console. The escape sequence is ^]\n", name)
	state, err := term.MakeRaw(int(tty.Fd()))
	if err != nil {
		return fmt.Errorf("console of VMI %q: putting the terminal in raw mode: %w", name, err)
	}
	err = attach(cmd.Context(), conn, in, out, true)
	_ = term.Restore(int(tty.Fd()), state)
	fprintf(cmd.ErrOrStderr(), "\n")
	return consoleEnded(name, err)
}

// consoleEnded turns the way a session ended into the command's result:
// detaching, stdin's end and the server closing the console are normal.
func consoleEnded(name string, err error) error {
	if err == nil || errors.Is(err, errDetached) {
		return nil
	}
	return fmt.Errorf("console of VMI %q: %w", name, err)
}

// attach copies the console to out and in to the console until the server
// ends the session, in ends (or, with escape, holds Ctrl-]), or ctx ends.
// It returns once nothing more is written to out. A goroutine blocked
// reading in is left behind: a terminal read cannot be interrupted, and the
// command ends right after.
func attach(ctx context.Context, conn io.ReadWriteCloser, in io.Reader, out io.Writer, escape bool) error {
	output := make(chan error, 1)
	input := make(chan error, 1)
	go func() {
		_, err := io.Copy(out, conn)
		output <- err
	}()
	go func() { input <- copyInput(conn, in, escape) }()
	var err error
	select {
	case err = <-output:
		return err
	case err = <-input:
	case <-ctx.Done():
	}
	_ = conn.Close()
	<-output // its error is only the closed connection's
	return err
}

// copyInput copies in to the console. With escape it stops at Ctrl-],
// sending what came before it, and returns errDetached. in's end returns
// nil.
func copyInput(conn io.Writer, in io.Reader, escape bool) error {
	buf := make([]byte, 4096)
	for {
		n, err := in.Read(buf)
		chunk := buf[:n]
		detach := false
		if i := bytes.IndexByte(chunk, escapeByte); escape && i >= 0 {
			chunk, detach = chunk[:i], true
		}
		if len(chunk) > 0 {
			if _, werr := conn.Write(chunk); werr != nil {
				return werr
			}
		}
		switch {
		case detach:
			return errDetached
		case errors.Is(err, io.EOF):
			return nil
		case err != nil:
			return fmt.Errorf("reading stdin: %w", err)
		}
	}
}
