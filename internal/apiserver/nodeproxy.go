package apiserver

import (
	"context"
	"io"
	"time"
)

// NodeProxy reaches what only the node running a VMI has: its serial
// console, its console log, and its guest agent. The node agent
// (internal/node) implements it; the server only relays.
//
// Errors are API errors (k8s.io/apimachinery/pkg/api/errors): NotFound for
// an unknown VMI, Conflict or ServiceUnavailable for "VMI is not running" or
// "guest agent is not connected", Timeout when the guest did not answer in
// time. The server passes them on as a metav1.Status; any other error is a
// 500.
type NodeProxy interface {
	// Console connects to the VMI's serial console; one client at a time
	// (a second gets an error saying the console is in use).
	Console(ctx context.Context, namespace, name string) (io.ReadWriteCloser, error)
	// Logs returns the serial console log from the start; with follow, the
	// reader blocks for more until ctx ends or the VMI's QEMU is gone.
	Logs(ctx context.Context, namespace, name string, follow bool) (io.ReadCloser, error)
	// GuestExec runs argv in the guest through the guest agent and waits
	// for it to end or the timeout.
	GuestExec(ctx context.Context, namespace, name string, argv []string, timeout time.Duration) (*GuestExecResult, error)
}

// GuestExecResult is what a command run in the guest left: its exit code
// and its output. Truncated says the guest agent cut the output short.
type GuestExecResult struct {
	ExitCode  int    `json:"exitCode"`
	Stdout    string `json:"stdout"`
	Stderr    string `json:"stderr"`
	Truncated bool   `json:"truncated,omitempty"`
}
