package cli

import (
	"bytes"
	"context"
	"errors"
	"io"
	"strings"
	"testing"
)

func TestConsoleCopiesStreamsWithoutATerminal(t *testing.T) {
	server := serveNodeAPI(t, &echoNode{})
	stdin, typing := io.Pipe()
	out := newSignalBuffer()
	wait := runAsync(context.Background(), server, stdin, out, "console", "vm1")
	// Not a terminal: Ctrl-] is an ordinary byte and goes to the guest.
	if _, err := io.WriteString(typing, "root\x1d\n"); err != nil {
		t.Fatal(err)
	}
	out.waitFor(t, "root\x1d\n")
	typing.Close() // stdin's end ends the session
	r := wait(t)
	if r.err != nil || r.stdout != "root\x1d\n" {
		t.Errorf("stdout %q, err %v", r.stdout, r.err)
	}
	if strings.Contains(r.stderr, "escape sequence") {
		t.Errorf("stderr %q: the escape hint is for terminals", r.stderr)
	}
}

func TestConsoleEndsWhenTheServerCloses(t *testing.T) {
	server := serveNodeAPI(t, &echoNode{hangUp: true})
	stdin, typing := io.Pipe()
	defer typing.Close()
	r := runAsync(context.Background(), server, stdin, newSignalBuffer(), "console", "vm1")(t)
	if r.err != nil || r.stdout != "bye\n" {
		t.Errorf("stdout %q, err %v", r.stdout, r.err)
	}
}

func TestConsoleRefusals(t *testing.T) {
	n := &echoNode{inUse: true}
	server := serveNodeAPI(t, n)
	for name, want := range map[string]string{
		"vm1":  `Error from server (Conflict): Operation cannot be fulfilled on virtualmachineinstances.kubevirt.io "vm1": the console is in use`,
		"nope": `Error from server (NotFound): virtualmachineinstances.kubevirt.io "nope" not found`,
	} {
		r := runNode(context.Background(), server, strings.NewReader(""), &bytes.Buffer{}, "console", name)
		if r.code() != 1 || strings.TrimSpace(r.stderr) != want {
			t.Errorf("%s: code %d, stderr %q", name, r.code(), r.stderr)
		}
	}
}

func TestCopyInputStopsAtTheEscapeByte(t *testing.T) {
	cases := []struct {
		in     string
		escape bool
		sent   string
		err    error
	}{
		{"ls\r\x1dexit\r", true, "ls\r", errDetached},
		{"\x1d", true, "", errDetached},
		{"ls\r\x1dexit\r", false, "ls\r\x1dexit\r", nil},
		{"ls\r", true, "ls\r", nil},
	}
	for _, tc := range cases {
		var sent bytes.Buffer
		err := copyInput(&sent, strings.NewReader(tc.in), tc.escape)
		if sent.String() != tc.sent || !errors.Is(err, tc.err) || (tc.err == nil && err != nil) {
			t.Errorf("%q (escape %v): sent %q, %v", tc.in, tc.escape, sent.String(), err)
		}
	}
}
