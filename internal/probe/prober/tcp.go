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
// completes before the deadline. It sends nothing and closes at once.
//
// The close is a normal one (FIN). Not SO_LINGER 0: that sends an RST,
// which the guest's server may log as an error, for every probe. Not
// kubelet's SO_LINGER of 1 s either: on Linux a non-zero linger does not
// shorten TIME_WAIT, it only makes close(2) wait for unsent data, of which
// a probe has none. The price of a normal close is a TIME_WAIT socket on
// the host for 60 s per probe. Ports are only exhausted per 4-tuple (host
// port, VMI IP, VMI port): a probe every second of one VMI port keeps
// about 60 of the 28,000 ephemeral ports busy.
func NewTCP(target Target) Prober {
	return &tcpProber{addr: joinHostPort(target)}
}

func (p *tcpProber) Probe(ctx context.Context) Outcome {
	conn, err := dialer.DialContext(ctx, "tcp", p.addr)
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
