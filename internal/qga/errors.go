package qga

import (
	"context"
	"errors"
	"fmt"
)

var (
	// ErrClosed means Close was called; the client does nothing more.
	ErrClosed = errors.New("client closed")

	// ErrAgentUnavailable means nobody answered on the channel: the socket
	// is missing or refused (QEMU not running), the connection ended, or
	// the resynchronisation got no answer (the VM is booting or has no
	// agent). The next command tries again.
	ErrAgentUnavailable = errors.New("guest agent unavailable")

	// ErrProtocol means the agent sent something unacceptable: an
	// over-long reply, garbage where a reply belongs, or more junk than a
	// resync may discard. The next command resynchronises first.
	ErrProtocol = errors.New("protocol error")

	// ErrTimeout means the deadline passed first. It also matches
	// context.DeadlineExceeded with errors.Is.
	ErrTimeout error = timeoutError{}
)

type timeoutError struct{}

func (timeoutError) Error() string   { return "timed out" }
func (timeoutError) Unwrap() error   { return context.DeadlineExceeded }
func (timeoutError) Timeout() bool   { return true }
func (timeoutError) Temporary() bool { return true }

// Error is an error reply from the agent: {"error": {"class", "desc"}}.
// The stream stays in sync after it.
type Error struct {
	// Command is the command that failed (set by the client).
	Command string `json:"-"`
	// Class is the agent's error class, e.g. "GenericError", "CommandNotFound".
	Class string `json:"class"`
	// Desc is the agent's human-readable description.
	Desc string `json:"desc"`
}

func (e *Error) Error() string {
	return fmt.Sprintf("qga: %s: %s: %s", e.Command, e.Class, e.Desc)
}
