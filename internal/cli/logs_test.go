package cli

import (
	"bytes"
	"context"
	"strings"
	"testing"
)

func TestLogsPrintsTheSerialLog(t *testing.T) {
	server := serveNodeAPI(t, &echoNode{log: "[    0.000000] Linux version 6.1\nlogin: "})
	r := runNode(context.Background(), server, nil, &bytes.Buffer{}, "logs", "vm1")
	if r.err != nil || r.stdout != "[    0.000000] Linux version 6.1\nlogin: " {
		t.Errorf("stdout %q, err %v", r.stdout, r.err)
	}
	r = runNode(context.Background(), server, nil, &bytes.Buffer{}, "logs", "nope")
	if r.code() != 1 || !strings.Contains(r.stderr, `virtualmachineinstances.kubevirt.io "nope" not found`) {
		t.Errorf("unknown VMI: code %d, stderr %q", r.code(), r.stderr)
	}
}

func TestLogsFollowUntilInterrupted(t *testing.T) {
	n := &echoNode{log: "boot\n", more: make(chan string)}
	server := serveNodeAPI(t, n)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	out := newSignalBuffer()
	wait := runAsync(ctx, server, nil, out, "logs", "vm1", "-f")
	out.waitFor(t, "boot\n")
	n.more <- "login: \n"
	out.waitFor(t, "boot\nlogin: \n")
	cancel() // as Ctrl-C does through the command's context
	if r := wait(t); r.err != nil {
		t.Errorf("interrupted follow: %v", r.err)
	}
}
