package qga

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
)

// command carries no "id": the agent protocol does not need one (libvirt
// sends none), older agents are not known to accept it, and with one
// command in flight and a resync after every failure the stream itself
// tells which reply belongs to which command.
type command struct {
	Execute   string          `json:"execute"`
	Arguments json.RawMessage `json:"arguments,omitempty"`
}

// Execute runs one agent command: args (may be nil) becomes "arguments",
// the reply's "return" is decoded into result unless result is nil. It
// waits for its turn on the channel, connects and resynchronises if
// needed, all within ctx and Options.CommandTimeout. An error reply is
// returned as *Error.
func (c *Client) Execute(ctx context.Context, cmd string, args any, result any) error {
	var rawArgs json.RawMessage
	if args != nil {
		b, err := json.Marshal(args)
		if err != nil {
			return fmt.Errorf("qga: %s: encoding arguments: %w", cmd, err)
		}
		rawArgs = b
	}
	ctx, cancel := context.WithTimeout(ctx, c.opts.CommandTimeout)
	defer cancel()
	return c.withSession(ctx, cmd, func(s *session) error {
		if !s.synced {
			if err := c.resync(s); err != nil {
				return err
			}
		}
		return s.roundTrip(cmd, rawArgs, result)
	})
}

// syncError marks a failure that happened while resynchronising, so a
// timeout there reads as "no agent answered" rather than "command slow".
type syncError struct{ err error }

func (e *syncError) Error() string { return "resynchronising: " + e.err.Error() }
func (e *syncError) Unwrap() error { return e.err }

// resync flushes the agent's parser (a leading 0xFF) and sends
// guest-sync-delimited with a fresh random id, then discards everything
// until the agent's reply with that id.
func (c *Client) resync(s *session) error {
	id := rand.Int64N(1 << 53) // exact in any JSON implementation
	line := fmt.Appendf([]byte{sentinel}, `{"execute":"guest-sync-delimited","arguments":{"id":%d}}`+"\n", id)
	if _, err := s.conn.Write(line); err != nil {
		return &syncError{err}
	}
	if err := s.rd.awaitSync(id, c.opts.MaxSyncDiscard); err != nil {
		return &syncError{err}
	}
	s.synced = true
	return nil
}

// roundTrip sends one command and reads its reply; the caller holds the
// turn and the stream is in sync.
func (s *session) roundTrip(cmd string, args json.RawMessage, result any) error {
	line, _ := json.Marshal(command{Execute: cmd, Arguments: args}) // cannot fail: args is valid JSON
	if _, err := s.conn.Write(append(line, '\n')); err != nil {
		return err
	}
	rep, err := s.rd.readReply()
	if err != nil {
		return err
	}
	if rep.Error != nil {
		e := *rep.Error
		e.Command = cmd
		return &e
	}
	if result == nil {
		return nil
	}
	if err := json.Unmarshal(rep.Return, result); err != nil {
		return &decodeError{err}
	}
	return nil
}

// decodeError is a well-formed reply whose shape we did not expect; the
// stream is still in sync.
type decodeError struct{ err error }

func (e *decodeError) Error() string { return "decoding the reply: " + e.err.Error() }
func (e *decodeError) Unwrap() error { return e.err }
