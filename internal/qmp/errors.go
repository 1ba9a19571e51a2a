package qmp

import (
	"context"
	"errors"
	"fmt"
)

var (
	// ErrClosed means the connection is gone: QEMU closed it (it exited or
	// quit), it broke, or Close was called. Pending and later commands fail
	// with an error that wraps it.
	ErrClosed = errors.New("connection closed")

	// ErrProtocol means QEMU sent something the client cannot accept (an
	// over-long line, a malformed greeting).
	ErrProtocol = errors.New("protocol error")

	// ErrTimeout means a command or the handshake did not complete before
	// its deadline. It also matches context.DeadlineExceeded with errors.Is.
	// A timeout is not proof that QEMU is dead: confirm with the process.
	ErrTimeout error = timeoutError{}
)

type timeoutError struct{}

func (timeoutError) Error() string   { return "timed out" }
func (timeoutError) Unwrap() error   { return context.DeadlineExceeded }
func (timeoutError) Timeout() bool   { return true }
func (timeoutError) Temporary() bool { return true }

// Error is an error reply from QEMU: {"error": {"class": ..., "desc": ...}}.
// The connection stays usable after it.
type Error struct {
	// Command is the command that failed (set by the client, not QEMU).
	Command string `json:"-"`
	// Class is QEMU's error class, e.g. "GenericError", "CommandNotFound".
	Class string `json:"class"`
	// Desc is QEMU's human-readable description.
	Desc string `json:"desc"`
}

func (e *Error) Error() string {
	return fmt.Sprintf("qmp: %s: %s: %s", e.Command, e.Class, e.Desc)
}

// ctxError turns a finished context into the client's error vocabulary:
// a deadline becomes ErrTimeout, a cancellation stays context.Canceled.
func ctxError(ctx context.Context) error {
	if errors.Is(ctx.Err(), context.DeadlineExceeded) {
		return ErrTimeout
	}
	return ctx.Err()
}
