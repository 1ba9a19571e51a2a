package prober

import (
	"context"
	"errors"
	"net"
	"strconv"
)

type tcpProber struct {
	addr string
}

var _ Prober = (*tcpProber)(nil)

// NewTCP returns a prober that succeeds iff a TCP handshake with target
// completes before the deadline. It sends nothing and closes at once with
// a normal close (FIN, not an RST through SO_LINGER 0): like kubelet, and
// so the guest's server sees an ordinary client going away rather than a
// reset it might log as an error. The price is a TIME_WAIT socket on the
// host per probe, which is per (host port, VMI IP, port) and so never
// exhausts ports at probe rates.
func NewTCP(target Target) Prober {
	return &tcpProber{addr: joinHostPort(target)}
}

func (p *tcpProber) Probe(ctx context.Context) Outcome {
	var d net.Dialer
	conn, err := d.DialContext(ctx, "tcp", p.addr)
	if err != nil {
		if errors.Is(ctx.Err(), context.Canceled) {
			return unknown("tcp probe canceled: " + err.Error())
		}
		return failure(err.Error())
	}
	if err := conn.Close(); err != nil {
		// The handshake completed: the guest answered. A close error
		// (there is none for a fresh TCP socket in practice) does not
		// change that.
		return Outcome{Result: Success, Output: "close: " + err.Error()}
	}
	return Outcome{Result: Success}
}

// joinHostPort is host:port with IPv6 hosts bracketed; a host that is
// already bracketed is accepted.
func joinHostPort(t Target) string {
	return net.JoinHostPort(unbracket(t.Host), strconv.Itoa(t.Port))
}

func unbracket(h string) string {
	if len(h) > 1 && h[0] == '[' && h[len(h)-1] == ']' {
		return h[1 : len(h)-1]
	}
	return h
}
