package prober

import (
	"context"
	"unicode/utf8"

	"vigil.dev/vigil/internal/qga"
)

// Result is the verdict of one probe run.
type Result int

const (
	// Unknown means the engine could not run the probe at all (an internal
	// error, or the probe was canceled by its caller); it says nothing
	// about the VMI. The zero value, so a forgotten Outcome is never a
	// verdict.
	Unknown Result = iota
	// Success means the check passed.
	Success
	// Warning counts as Success but deserves a ProbeWarning event (an HTTP
	// 3xx that was not followed).
	Warning
	// Failure means the check failed; Outcome.Output says why.
	Failure
)

func (r Result) String() string {
	switch r {
	case Success:
		return "Success"
	case Warning:
		return "Warning"
	case Failure:
		return "Failure"
	default:
		return "Unknown"
	}
}

// MaxOutput bounds Outcome.Output, and the HTTP body and command output a
// probe reads.
const MaxOutput = 10 << 10

// Outcome is what one probe run produced. Output is the text for events
// ("HTTP probe failed with statuscode: 500", the error, the command's
// output), at most MaxOutput bytes.
type Outcome struct {
	Result Result
	Output string
}

// Target is where a probe goes: the VMI's IP unless the probe sets host;
// the port already resolved to a number by the caller.
type Target struct {
	Host string
	Port int
}

// Prober runs one kind of probe against one target. ctx carries the
// timeoutSeconds deadline; Probe returns by then (plus the time to close
// a socket) and leaves no goroutine behind. A Prober is safe for
// concurrent use, though a worker never overlaps its own probes.
type Prober interface {
	Probe(ctx context.Context) Outcome
}

// Agent is the part of a VMI's guest-agent client the probers use;
// *qga.Client implements it.
type Agent interface {
	Ping(ctx context.Context) error
	Run(ctx context.Context, argv []string, maxOutput int) (*qga.ExecStatus, error)
}

var _ Agent = (*qga.Client)(nil)

func failure(msg string) Outcome { return Outcome{Result: Failure, Output: bound(msg)} }

func unknown(msg string) Outcome { return Outcome{Result: Unknown, Output: bound(msg)} }

// bound cuts s to MaxOutput bytes without splitting a UTF-8 sequence.
func bound(s string) string {
	if len(s) <= MaxOutput {
		return s
	}
	cut := MaxOutput
	for cut > MaxOutput-utf8.UTFMax && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut]
}
