package qmp

import (
	"context"
	"encoding/json"
	"fmt"
	"time"
)

type command struct {
	Execute   string `json:"execute"`
	Arguments any    `json:"arguments,omitempty"`
	ID        uint64 `json:"id"`
}

// Execute runs one QMP command. args (may be nil) is encoded as the
// command's "arguments"; the reply's "return" is decoded into result unless
// result is nil. It waits until ctx's deadline or Options.CommandTimeout,
// whichever is first, and then fails with ErrTimeout; a reply arriving
// after that is dropped. An error reply is returned as *Error.
func (c *Client) Execute(ctx context.Context, cmd string, args any, result any) error {
	ctx, cancel := context.WithTimeout(ctx, c.opts.CommandTimeout)
	defer cancel()

	id := c.nextID.Add(1)
	line, err := json.Marshal(command{Execute: cmd, Arguments: args, ID: id})
	if err != nil {
		return fmt.Errorf("qmp: %s: encoding arguments: %w", cmd, err)
	}
	line = append(line, '\n')

	ch, err := c.register(id)
	if err != nil {
		return fmt.Errorf("qmp: %s: %w", cmd, err)
	}
	defer c.unregister(id)

	if err := c.write(ctx, line); err != nil {
		return fmt.Errorf("qmp: %s: %w", cmd, err)
	}
	rep, err := c.await(ctx, ch)
	if err != nil {
		return fmt.Errorf("qmp: %s: %w", cmd, err)
	}
	return decodeReply(cmd, rep, result)
}

func (c *Client) register(id uint64) (chan reply, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closeErr != nil {
		return nil, c.closeErr
	}
	ch := make(chan reply, 1)
	c.pending[id] = ch
	return ch, nil
}

func (c *Client) unregister(id uint64) {
	c.mu.Lock()
	delete(c.pending, id)
	c.mu.Unlock()
}

// write sends one command line. A failed or partial write leaves the
// stream in an unknown state, so it ends the connection.
func (c *Client) write(ctx context.Context, line []byte) error {
	c.writeMu.Lock()
	defer c.writeMu.Unlock()
	deadline, _ := ctx.Deadline()
	c.conn.SetWriteDeadline(deadline)
	_, err := c.conn.Write(line)
	c.conn.SetWriteDeadline(time.Time{})
	if err == nil {
		return nil
	}
	if closeErr := c.Err(); closeErr != nil {
		return closeErr
	}
	if isTimeout(err) {
		c.shutdown(fmt.Errorf("%w: a command write timed out", ErrClosed))
		return fmt.Errorf("writing: %w", ErrTimeout)
	}
	c.shutdown(fmt.Errorf("%w: %w", ErrClosed, err))
	return fmt.Errorf("writing: %w", c.Err())
}

func (c *Client) await(ctx context.Context, ch chan reply) (reply, error) {
	select {
	case rep := <-ch:
		return rep, nil
	case <-ctx.Done():
		return reply{}, fmt.Errorf("waiting for the reply: %w", ctxError(ctx))
	case <-c.disconnected:
		select {
		case rep := <-ch: // answered just before the end
			return rep, nil
		default:
			return reply{}, c.Err()
		}
	}
}

func decodeReply(cmd string, rep reply, result any) error {
	if rep.err != nil {
		e := *rep.err
		e.Command = cmd
		return &e
	}
	if result == nil {
		return nil
	}
	if err := json.Unmarshal(rep.ret, result); err != nil {
		return fmt.Errorf("qmp: %s: decoding the reply: %w", cmd, err)
	}
	return nil
}
