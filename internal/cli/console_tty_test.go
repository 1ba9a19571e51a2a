package cli

import (
	"context"
	"fmt"
	"io"
	"os"
	"strings"
	"testing"

	"golang.org/x/sys/unix"
)

// openPTY opens a pseudo-terminal pair: the test types on master, the
// command reads the terminal.
func openPTY(t *testing.T) (master, terminal *os.File) {
	t.Helper()
	master, err := os.OpenFile("/dev/ptmx", os.O_RDWR|unix.O_NOCTTY, 0)
	if err != nil {
		t.Skipf("no pseudo-terminals here: %v", err)
	}
	t.Cleanup(func() { master.Close() })
	if err := unix.IoctlSetPointerInt(int(master.Fd()), unix.TIOCSPTLCK, 0); err != nil {
		t.Fatal(err)
	}
	n, err := unix.IoctlGetInt(int(master.Fd()), unix.TIOCGPTN)
	if err != nil {
		t.Fatal(err)
	}
	terminal, err = os.OpenFile(fmt.Sprintf("/dev/pts/%d", n), os.O_RDWR|unix.O_NOCTTY, 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { terminal.Close() })
	return master, terminal
}

func TestConsoleOnATerminalDetachesAtCtrlBracket(t *testing.T) {
	master, terminal := openPTY(t)
	// No line buffering, so what the test types reaches the command even
	// before it puts the terminal in raw mode; output processing stays on,
	// so this mode differs from raw and its restoration can be seen.
	before, err := unix.IoctlGetTermios(int(terminal.Fd()), unix.TCGETS)
	if err != nil {
		t.Fatal(err)
	}
	before.Lflag &^= unix.ICANON | unix.ECHO | unix.ISIG
	before.Iflag &^= unix.ICRNL
	before.Oflag |= unix.OPOST
	if err := unix.IoctlSetTermios(int(terminal.Fd()), unix.TCSETS, before); err != nil {
		t.Fatal(err)
	}
	server := serveNodeAPI(t, &echoNode{})
	out := newSignalBuffer()
	wait := runAsync(context.Background(), server, terminal, out, "console", "vm1")
	if _, err := io.WriteString(master, "ls\r"); err != nil {
		t.Fatal(err)
	}
	out.waitFor(t, "ls\r")
	if _, err := io.WriteString(master, "\x1dnot sent"); err != nil {
		t.Fatal(err)
	}
	r := wait(t)
	if r.err != nil || r.stdout != "ls\r" {
		t.Errorf("stdout %q, err %v", r.stdout, r.err)
	}
	if !strings.HasPrefix(r.stderr, "Successfully connected to vm1 console. The escape sequence is ^]\n") {
		t.Errorf("stderr %q", r.stderr)
	}
	after, err := unix.IoctlGetTermios(int(terminal.Fd()), unix.TCGETS)
	if err != nil {
		t.Fatal(err)
	}
	if *after != *before {
		t.Errorf("the terminal's mode was not restored: %+v, want %+v", after, before)
	}
}
