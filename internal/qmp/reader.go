package qmp

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
)

// readBufferSize is the connection's read buffer. QMP lines are mostly
// well under a kilobyte (events, query-status), and the buffer lives as
// long as the VM, once per VM: a longer line is assembled in buf instead.
const readBufferSize = 4 << 10

// lineReader reads newline-terminated messages of bounded size. A returned
// line is valid only until the next call (it is the reader's buffer, or
// buf for a line longer than that); callers decode, and thereby copy,
// before reading on.
type lineReader struct {
	br  *bufio.Reader
	max int
	buf []byte
}

func newLineReader(r io.Reader, max int) *lineReader {
	return &lineReader{br: bufio.NewReaderSize(r, readBufferSize), max: max}
}

func (r *lineReader) next() ([]byte, error) {
	r.buf = nil // one long reply must not pin its buffer for the VM's life
	// A line that fits the read buffer, the usual case, is returned as it
	// lies there: no copy.
	chunk, err := r.br.ReadSlice('\n')
	if err == nil && len(chunk) <= r.max {
		return chunk, nil
	}
	for {
		if len(r.buf)+len(chunk) > r.max {
			return nil, fmt.Errorf("%w: line longer than %d bytes", ErrProtocol, r.max)
		}
		r.buf = append(r.buf, chunk...)
		switch {
		case err == nil:
			return r.buf, nil
		case errors.Is(err, bufio.ErrBufferFull):
			chunk, err = r.br.ReadSlice('\n')
		default:
			return nil, err
		}
	}
}

// message is any line QEMU sends: the greeting, a reply or an event.
type message struct {
	QMP       *greeting       `json:"QMP"`
	Event     string          `json:"event"`
	Data      json.RawMessage `json:"data"`
	Timestamp *wireTime       `json:"timestamp"`
	Return    json.RawMessage `json:"return"`
	Error     *Error          `json:"error"`
	ID        *uint64         `json:"id"`
}

type greeting struct {
	Version struct {
		QEMU struct {
			Major int `json:"major"`
			Minor int `json:"minor"`
			Micro int `json:"micro"`
		} `json:"qemu"`
		Package string `json:"package"`
	} `json:"version"`
	Capabilities []string `json:"capabilities"`
}

// readGreeting reads QEMU's first line before the reader goroutine starts.
func (c *Client) readGreeting(ctx context.Context, lr *lineReader) error {
	stop := watchDeadline(ctx, c.conn)
	defer stop()
	line, err := lr.next()
	if err != nil {
		if isTimeout(err) || ctx.Err() != nil {
			return fmt.Errorf("waiting for the greeting: %w", ctxErrorOr(ctx, ErrTimeout))
		}
		return fmt.Errorf("reading the greeting: %w", err)
	}
	var m message
	if err := json.Unmarshal(line, &m); err != nil || m.QMP == nil {
		return fmt.Errorf("%w: expected a greeting, got %q", ErrProtocol, truncate(line))
	}
	v := m.QMP.Version
	c.version = Version{Major: v.QEMU.Major, Minor: v.QEMU.Minor, Micro: v.QEMU.Micro, Package: v.Package}
	return nil
}

// ctxErrorOr maps a finished ctx, or returns fallback if ctx is still live
// (the socket deadline may fire a hair before the context's timer).
func ctxErrorOr(ctx context.Context, fallback error) error {
	if ctx.Err() != nil {
		return ctxError(ctx)
	}
	return fallback
}

// readLoop is the only reader of the connection. When it ends, the client
// is closed: pending commands fail, Events and Disconnected are closed.
func (c *Client) readLoop(lr *lineReader) {
	defer close(c.readerDone)
	err := c.readMessages(lr)
	if !errors.Is(err, ErrClosed) {
		err = fmt.Errorf("%w: %w", ErrClosed, err)
	}
	c.shutdown(err)
	c.log.Debug("qmp connection ended", "err", c.Err())
	close(c.events)
	close(c.disconnected)
}

func (c *Client) readMessages(lr *lineReader) error {
	for {
		line, err := lr.next()
		if err != nil {
			if c.Err() != nil {
				return c.Err()
			}
			return err
		}
		c.handleLine(line)
	}
}

func (c *Client) handleLine(line []byte) {
	line = bytes.TrimSpace(line)
	if len(line) == 0 {
		return
	}
	var m message
	if err := json.Unmarshal(line, &m); err != nil {
		c.log.Warn("qmp: ignoring malformed line", "line", truncate(line), "err", err)
		return
	}
	switch {
	case m.Event != "":
		c.publish(Event{Name: m.Event, Data: m.Data, Timestamp: m.Timestamp.time()})
	case m.Return != nil || m.Error != nil:
		c.deliver(m)
	default:
		c.log.Warn("qmp: ignoring unexpected message", "line", truncate(line))
	}
}

// deliver hands a reply to the command waiting for its id. A reply nobody
// waits for (its caller timed out) is counted and dropped.
func (c *Client) deliver(m message) {
	if m.ID == nil {
		// QEMU answers input it could not parse without an id; we never
		// send such input, so nobody is waiting for this.
		c.log.Warn("qmp: ignoring reply without id", "error", m.Error)
		return
	}
	c.mu.Lock()
	ch, ok := c.pending[*m.ID]
	delete(c.pending, *m.ID)
	c.mu.Unlock()
	if !ok {
		c.unmatched.Add(1)
		c.log.Debug("qmp: dropping late reply", "id", *m.ID)
		return
	}
	ch <- reply{ret: m.Return, err: m.Error} // buffered, sole sender: never blocks
}

func truncate(b []byte) string {
	const max = 200
	if len(b) > max {
		return string(b[:max]) + "..."
	}
	return string(b)
}
