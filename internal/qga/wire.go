package qga

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
)

// sentinel is the byte the agent sends before a guest-sync-delimited reply
// and accepts as a parser reset. It never occurs in valid UTF-8 JSON.
const sentinel = 0xFF

var errLineTooLong = fmt.Errorf("%w: reply line too long", ErrProtocol)

// readBufferSize is the connection's read buffer, kept as long as the VM
// runs. Replies are mostly small (ping, sync, osinfo); a longer line is
// assembled in buf instead, and skipping junk reads through the buffer.
const readBufferSize = 4 << 10

// wireReader reads the agent's stream with every read bounded.
type wireReader struct {
	br      *bufio.Reader
	maxLine int
	buf     []byte
}

func newWireReader(r io.Reader, maxLine int) *wireReader {
	return &wireReader{br: bufio.NewReaderSize(r, readBufferSize), maxLine: maxLine}
}

// readLine reads up to and including '\n', at most maxLine bytes. It
// returns how many bytes it consumed, also on error. The line is valid
// until the next call: it is the reader's buffer, or buf for a line longer
// than that.
func (r *wireReader) readLine() ([]byte, int, error) {
	r.buf = nil // do not keep a one-off huge reply's buffer alive
	chunk, err := r.br.ReadSlice('\n')
	n := len(chunk)
	if err == nil && n <= r.maxLine {
		return chunk, n, nil // the usual case: no copy
	}
	for {
		if len(r.buf)+len(chunk) > r.maxLine {
			return nil, n, fmt.Errorf("%w (limit %d bytes)", errLineTooLong, r.maxLine)
		}
		r.buf = append(r.buf, chunk...)
		switch {
		case err == nil:
			return r.buf, n, nil
		case errors.Is(err, bufio.ErrBufferFull):
			chunk, err = r.br.ReadSlice('\n')
			n += len(chunk)
		default:
			return nil, n, err
		}
	}
}

// skipToSentinel discards bytes up to and including the next sentinel,
// failing once more than budget bytes went by. It never allocates.
func (r *wireReader) skipToSentinel(budget int) (int, error) {
	n := 0
	for {
		chunk, err := r.br.ReadSlice(sentinel)
		n += len(chunk)
		switch {
		case err == nil:
			return n, nil
		case !errors.Is(err, bufio.ErrBufferFull):
			return n, err
		case n > budget:
			return n, fmt.Errorf("%w: %d bytes without a sync marker", ErrProtocol, n)
		}
	}
}

// awaitSync reads until the reply to guest-sync-delimited with id. Before
// a sentinel everything is stale and skipped unread; after one, lines are
// read until the reply appears (another sentinel restarts the line, an
// over-long line sends us back to looking for a sentinel). At most budget
// bytes are consumed.
func (r *wireReader) awaitSync(id int64, budget int) error {
	left := budget
	for {
		n, err := r.skipToSentinel(left)
		left -= n
		if err != nil {
			return err
		}
		for left >= 0 {
			line, n, err := r.readLine()
			left -= n
			if errors.Is(err, errLineTooLong) {
				break
			}
			if err != nil {
				return err
			}
			if i := bytes.LastIndexByte(line, sentinel); i >= 0 {
				line = line[i+1:]
			}
			if isSyncReply(line, id) {
				return nil
			}
		}
		if left < 0 {
			return fmt.Errorf("%w: more than %d bytes before the sync reply", ErrProtocol, budget)
		}
	}
}

func isSyncReply(line []byte, id int64) bool {
	var m struct {
		Return *int64 `json:"return"`
	}
	return json.Unmarshal(line, &m) == nil && m.Return != nil && *m.Return == id
}

// reply is one answer from the agent.
type reply struct {
	Return json.RawMessage `json:"return"`
	Error  *Error          `json:"error"`
}

// readReply reads the reply to the command just sent, once the stream is
// in sync. Blank lines are skipped; anything else that is not a reply is
// garbage. At most maxLine bytes are consumed.
func (r *wireReader) readReply() (*reply, error) {
	left := r.maxLine
	for {
		line, n, err := r.readLine()
		left -= n
		if err != nil {
			return nil, err
		}
		if left < 0 {
			return nil, fmt.Errorf("%w: more than %d bytes without a reply", ErrProtocol, r.maxLine)
		}
		line = bytes.TrimSpace(line)
		if len(line) == 0 {
			continue
		}
		var m reply
		if bytes.IndexByte(line, sentinel) >= 0 || json.Unmarshal(line, &m) != nil || (m.Return == nil && m.Error == nil) {
			return nil, fmt.Errorf("%w: expected a reply, got %q", ErrProtocol, truncate(line))
		}
		return &m, nil
	}
}

func truncate(b []byte) string {
	const max = 120
	if len(b) > max {
		return string(b[:max]) + "..."
	}
	return string(b)
}
