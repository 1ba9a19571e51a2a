package qmp

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"sync"
	"sync/atomic"
	"time"
)

// Defaults for Options fields left at zero.
const (
	DefaultCommandTimeout   = 10 * time.Second
	DefaultHandshakeTimeout = 5 * time.Second
	DefaultMaxLineBytes     = 1 << 20
	// DefaultEventBuffer: QEMU sends a few events per change of the VM's
	// state, and the consumer (one goroutine per VM) only records them; the
	// buffer is allocated whole for the life of the VM, 64 bytes a slot.
	DefaultEventBuffer = 32
)

// Options tune a Client. The zero value is usable.
type Options struct {
	// CommandTimeout caps every Execute; the caller's ctx deadline applies
	// too, whichever comes first. QEMU answers in milliseconds unless its
	// main loop is stuck, which is exactly when callers must not hang.
	CommandTimeout time.Duration
	// HandshakeTimeout caps Dial: connect, greeting and qmp_capabilities.
	HandshakeTimeout time.Duration
	// MaxLineBytes bounds one message from QEMU; a longer line closes the
	// client with ErrProtocol rather than letting memory grow.
	MaxLineBytes int
	// EventBuffer is how many events wait for the consumer before the
	// oldest are dropped.
	EventBuffer int
	// Logger receives protocol anomalies; callers add vm/vmi/uid keys with
	// Logger.With. Defaults to slog.Default().
	Logger *slog.Logger
}

func (o Options) withDefaults() Options {
	if o.CommandTimeout <= 0 {
		o.CommandTimeout = DefaultCommandTimeout
	}
	if o.HandshakeTimeout <= 0 {
		o.HandshakeTimeout = DefaultHandshakeTimeout
	}
	if o.MaxLineBytes <= 0 {
		o.MaxLineBytes = DefaultMaxLineBytes
	}
	if o.EventBuffer <= 0 {
		o.EventBuffer = DefaultEventBuffer
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	return o
}

// Version is QEMU's version from the greeting.
type Version struct {
	Major, Minor, Micro int
	Package             string
}

// Client is one QMP connection. It is safe for concurrent use.
type Client struct {
	conn    net.Conn
	opts    Options
	log     *slog.Logger
	version Version

	writeMu sync.Mutex
	nextID  atomic.Uint64

	mu       sync.Mutex
	pending  map[uint64]chan reply
	closeErr error // why the connection ended; set once

	events    chan Event
	dropped   atomic.Uint64
	unmatched atomic.Uint64 // replies nobody waited for (late after a timeout)

	disconnected chan struct{}
	readerDone   chan struct{}
}

type reply struct {
	ret json.RawMessage
	err *Error
}

// Dial connects to QEMU's QMP socket, reads the greeting and leaves
// capabilities negotiation mode, all within ctx and Options.HandshakeTimeout.
func Dial(ctx context.Context, socketPath string, opts Options) (*Client, error) {
	opts = opts.withDefaults()
	ctx, cancel := context.WithTimeout(ctx, opts.HandshakeTimeout)
	defer cancel()

	var d net.Dialer
	conn, err := d.DialContext(ctx, "unix", socketPath)
	if err != nil {
		return nil, fmt.Errorf("qmp: dial %s: %w", socketPath, err)
	}
	c := &Client{
		conn:         conn,
		opts:         opts,
		log:          opts.Logger.With("socket", socketPath),
		pending:      make(map[uint64]chan reply),
		events:       make(chan Event, opts.EventBuffer),
		disconnected: make(chan struct{}),
		readerDone:   make(chan struct{}),
	}
	lr := newLineReader(conn, opts.MaxLineBytes)
	if err := c.readGreeting(ctx, lr); err != nil {
		conn.Close()
		return nil, fmt.Errorf("qmp: %s: %w", socketPath, err)
	}
	go c.readLoop(lr)
	if err := c.Execute(ctx, "qmp_capabilities", nil, nil); err != nil {
		c.Close()
		return nil, fmt.Errorf("qmp: %s: %w", socketPath, err)
	}
	return c, nil
}

// Version reports the QEMU version announced in the greeting.
func (c *Client) Version() Version { return c.version }

// Events delivers QEMU's asynchronous events in arrival order. It is closed
// when the connection ends. If the consumer falls behind, the oldest
// buffered events are dropped (see Dropped).
func (c *Client) Events() <-chan Event { return c.events }

// Dropped counts events discarded because the buffer was full.
func (c *Client) Dropped() uint64 { return c.dropped.Load() }

// Disconnected is closed once the connection has ended, for whatever reason.
func (c *Client) Disconnected() <-chan struct{} { return c.disconnected }

// Err reports why the connection ended, or nil while it is up.
func (c *Client) Err() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.closeErr
}

// Close ends the connection and waits for the reader to stop. Pending
// commands fail with ErrClosed. It is safe to call more than once.
func (c *Client) Close() error {
	c.shutdown(ErrClosed)
	<-c.readerDone
	return nil
}

// shutdown records the first reason the connection ended and closes it;
// the reader then stops and fails everything still pending.
func (c *Client) shutdown(cause error) {
	c.mu.Lock()
	if c.closeErr == nil {
		c.closeErr = cause
	}
	c.mu.Unlock()
	c.conn.Close()
}

// watchDeadline applies ctx's deadline to conn reads and interrupts them
// at once if ctx is cancelled. The returned func undoes both.
func watchDeadline(ctx context.Context, conn net.Conn) (stop func()) {
	deadline, _ := ctx.Deadline()
	conn.SetReadDeadline(deadline)
	fired := make(chan struct{})
	stopFunc := context.AfterFunc(ctx, func() {
		conn.SetReadDeadline(time.Unix(1, 0))
		close(fired)
	})
	return func() {
		if !stopFunc() {
			<-fired
		}
		conn.SetReadDeadline(time.Time{})
	}
}

// isTimeout reports whether err is an I/O deadline expiry.
func isTimeout(err error) bool {
	return errors.Is(err, os.ErrDeadlineExceeded)
}
