package qga

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"sync"
	"time"
)

// Defaults for Options fields left at zero.
const (
	DefaultCommandTimeout = 10 * time.Second
	DefaultMaxReplyBytes  = 4 << 20
	DefaultMaxSyncDiscard = 8 << 20
)

// Options tune a Client. The zero value is usable.
type Options struct {
	// CommandTimeout caps every command (including the wait for the
	// channel and any resync); the caller's ctx deadline applies too,
	// whichever comes first.
	CommandTimeout time.Duration
	// MaxReplyBytes bounds one reply line, and all bytes read while
	// waiting for one reply. guest-exec-status output arrives base64
	// encoded inside one reply, so this also bounds captured output.
	MaxReplyBytes int
	// MaxSyncDiscard bounds the junk one resync reads and throws away
	// before the agent's sync reply.
	MaxSyncDiscard int
	// Logger receives protocol anomalies; callers add vm/vmi/uid keys with
	// Logger.With. Defaults to slog.Default().
	Logger *slog.Logger
}

func (o Options) withDefaults() Options {
	if o.CommandTimeout <= 0 {
		o.CommandTimeout = DefaultCommandTimeout
	}
	if o.MaxReplyBytes <= 0 {
		o.MaxReplyBytes = DefaultMaxReplyBytes
	}
	if o.MaxSyncDiscard <= 0 {
		o.MaxSyncDiscard = DefaultMaxSyncDiscard
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	return o
}

// Client talks to one VM's guest agent. It is safe for concurrent use;
// commands run one at a time. It connects lazily and reconnects after the
// connection ends, so one Client can live as long as the VM.
type Client struct {
	path string
	opts Options
	log  *slog.Logger
	turn chan struct{} // holds a token while a command owns the stream

	mu     sync.Mutex
	sess   *session
	closed bool
}

// session is one connection. Its fields are used only by the command that
// holds the turn.
type session struct {
	conn   net.Conn
	rd     *wireReader
	synced bool
}

// New returns a client for the agent socket at socketPath without
// connecting; the first command connects and resynchronises.
func New(socketPath string, opts Options) *Client {
	opts = opts.withDefaults()
	return &Client{
		path: socketPath,
		opts: opts,
		log:  opts.Logger.With("socket", socketPath),
		turn: make(chan struct{}, 1),
	}
}

// Dial connects to the agent socket and resynchronises, so it fails with
// ErrAgentUnavailable if no agent answers within ctx and
// Options.CommandTimeout.
func Dial(ctx context.Context, socketPath string, opts Options) (*Client, error) {
	c := New(socketPath, opts)
	if err := c.Sync(ctx); err != nil {
		c.Close()
		return nil, err
	}
	return c, nil
}

// Close drops the connection and interrupts a command in flight; later
// commands fail with ErrClosed. It is safe to call more than once.
func (c *Client) Close() error {
	c.mu.Lock()
	s := c.sess
	c.sess, c.closed = nil, true
	c.mu.Unlock()
	if s != nil {
		s.conn.Close()
	}
	return nil
}

// Sync connects if needed and resynchronises the stream now.
func (c *Client) Sync(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, c.opts.CommandTimeout)
	defer cancel()
	return c.withSession(ctx, "guest-sync-delimited", c.resync)
}

// withSession takes the turn, finds or opens the connection, applies ctx
// to it, runs fn and turns its failure into the package's error kinds.
func (c *Client) withSession(ctx context.Context, cmd string, fn func(*session) error) error {
	select {
	case c.turn <- struct{}{}:
	case <-ctx.Done():
		return fmt.Errorf("qga: %s: waiting for the agent channel: %w", cmd, ctxError(ctx))
	}
	defer func() { <-c.turn }()

	s, err := c.session(ctx)
	if err != nil {
		return fmt.Errorf("qga: %s: %w", cmd, err)
	}
	stop := watchDeadline(ctx, s.conn)
	err = fn(s)
	stop()
	if err == nil {
		return nil
	}
	var qe *Error
	if errors.As(err, &qe) {
		return qe // the stream is still in sync
	}
	var de *decodeError
	if errors.As(err, &de) {
		return fmt.Errorf("qga: %s: %w", cmd, err) // so is this one
	}
	return fmt.Errorf("qga: %s: %w", cmd, c.classify(ctx, s, err))
}

func (c *Client) session(ctx context.Context) (*session, error) {
	c.mu.Lock()
	s, closed := c.sess, c.closed
	c.mu.Unlock()
	if closed {
		return nil, ErrClosed
	}
	if s != nil {
		return s, nil
	}
	var d net.Dialer
	conn, err := d.DialContext(ctx, "unix", c.path)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrAgentUnavailable, err)
	}
	s = &session{
		conn: conn,
		rd:   newWireReader(conn, c.opts.MaxReplyBytes),
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		conn.Close()
		return nil, ErrClosed
	}
	c.sess = s
	return s, nil
}

// classify decides what a failure means for the stream: a timeout or
// garbage leaves it out of sync (resync before the next command); any
// other I/O error means the connection is gone (reconnect next time).
func (c *Client) classify(ctx context.Context, s *session, err error) error {
	c.mu.Lock()
	closed := c.closed
	c.mu.Unlock()
	if closed {
		return ErrClosed
	}
	var se *syncError
	inSync := errors.As(err, &se)
	switch {
	case ctx.Err() != nil || isTimeout(err):
		s.synced = false
		if errors.Is(ctx.Err(), context.Canceled) {
			return ctx.Err()
		}
		if inSync {
			return fmt.Errorf("%w: no answer to guest-sync-delimited: %w", ErrAgentUnavailable, ErrTimeout)
		}
		return ErrTimeout
	case errors.Is(err, ErrProtocol):
		s.synced = false
		c.log.Warn("qga: protocol error, will resynchronise", "err", err)
		return err
	default:
		c.drop(s)
		return fmt.Errorf("%w: %w", ErrAgentUnavailable, err)
	}
}

func (c *Client) drop(s *session) {
	c.mu.Lock()
	if c.sess == s {
		c.sess = nil
	}
	c.mu.Unlock()
	s.conn.Close()
}

// watchDeadline applies ctx's deadline to conn and interrupts I/O at once
// if ctx is cancelled. The returned func waits until that can no longer
// happen, so the next command's deadline is never overwritten.
func watchDeadline(ctx context.Context, conn net.Conn) (stop func()) {
	deadline, _ := ctx.Deadline()
	conn.SetDeadline(deadline)
	fired := make(chan struct{})
	stopFunc := context.AfterFunc(ctx, func() {
		conn.SetDeadline(time.Unix(1, 0))
		close(fired)
	})
	return func() {
		if !stopFunc() {
			<-fired
		}
	}
}

func isTimeout(err error) bool { return errors.Is(err, os.ErrDeadlineExceeded) }

func ctxError(ctx context.Context) error {
	if errors.Is(ctx.Err(), context.DeadlineExceeded) {
		return ErrTimeout
	}
	return ctx.Err()
}
