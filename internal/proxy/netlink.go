package proxy

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/mdlayher/netlink"
	"golang.org/x/sys/unix"
)

// Netlink loads Batches into the kernel as nf_tables netlink batches over
// one netlink socket kept open for the life of the daemon. Against `nft -f
// -` that saves starting nft (~4 ms here) and, above all, closing its
// socket: the kernel frees what a transaction deleted (the old rules of a
// refilled chain, a deleted element) after an RCU grace period, and the
// release of a netfilter netlink socket waits for that (~10 ms here,
// 30 ms at worst). A socket that stays open never waits, so an update
// costs about the commit itself.
//
// Scripts (the full table at start and recovery) still go to the nft
// binary: they are rare, and nft's syntax is what the golden files and an
// operator read. The expressions below are the ones nft generates for the
// same rules (TestNetlinkMatchesNFT lists both), so `nft list` shows
// the same table whichever path wrote it.
type Netlink struct {
	NFT // Run and Chains

	mu     sync.Mutex
	conn   *netlink.Conn // nil until the first Apply, and after a failure
	sndbuf int           // the send buffer size set on conn, 0 for the default
}

var _ Runner = (*Netlink)(nil)

// Apply loads b in one transaction: all of it applies or none does.
func (n *Netlink) Apply(ctx context.Context, b Batch) error {
	if b.Len() == 0 {
		return nil
	}
	msgs, err := encodeBatch(b)
	if err != nil {
		return err
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.conn == nil {
		c, err := netlink.Dial(unix.NETLINK_NETFILTER, nil)
		if err != nil {
			return fmt.Errorf("nftables netlink socket: %w", err)
		}
		n.conn = c
	}
	if err := n.exchange(ctx, msgs); err != nil {
		// Replies of this batch may still be queued: start clean.
		n.conn.Close()
		n.conn, n.sndbuf = nil, 0
		return fmt.Errorf("nftables batch of %d commands (first: %s): %w", b.Len(), b.cmds[0], err)
	}
	return nil
}

// Close releases the socket.
func (n *Netlink) Close() error {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.conn == nil {
		return nil
	}
	err := n.conn.Close()
	n.conn, n.sndbuf = nil, 0
	return err
}

// exchange sends the batch and waits for the kernel's answer. Only the
// last command asks for an acknowledgement; a command that fails is
// answered with an error whether it asked or not, and the kernel answers
// in order, so the batch went through when the last command's ack comes
// with no error before it. The kernel runs the whole batch inside the
// send, so the answer is queued by the time it returns; the deadline only
// guards against a kernel that does not answer. (An ack per command would
// also work, but a batch of many thousands would overflow the socket's
// receive buffer with them.)
func (n *Netlink) exchange(ctx context.Context, msgs []netlink.Message) error {
	deadline := time.Now().Add(nftTimeout)
	if d, ok := ctx.Deadline(); ok && d.Before(deadline) {
		deadline = d
	}
	if err := n.conn.SetDeadline(deadline); err != nil {
		return err
	}
	if err := n.fitSendBuffer(msgs); err != nil {
		return err
	}
	sent, err := n.conn.SendMessages(msgs)
	if err != nil {
		return fmt.Errorf("send: %w", err)
	}
	last := sent[len(sent)-2].Header.Sequence // before the batch end
	for {
		replies, err := n.conn.Receive()
		if err != nil {
			return err // an error reply: mdlayher/netlink turns it into an *OpError
		}
		for _, r := range replies {
			if r.Header.Type == netlink.Error && r.Header.Sequence == last {
				return nil
			}
		}
	}
}

// setsockoptInt is unix.SetsockoptInt; tests replace it.
var setsockoptInt = unix.SetsockoptInt

// fitSendBuffer makes the socket's send buffer hold the whole batch: the
// kernel takes a batch in one send and refuses one larger than the buffer
// (EMSGSIZE). Most batches fit the default buffer and nothing is done. A
// larger one grows it as nft does: forced past net.core.wmem_max
// (SO_SNDBUFFORCE, which needs CAP_NET_ADMIN in the initial user
// namespace), else as far as wmem_max allows (SO_SNDBUF, enough inside a
// user namespace for all but huge batches). A batch that still does not
// fit is an error: the dataplane then loads the whole table through nft.
func (n *Netlink) fitSendBuffer(msgs []netlink.Message) error {
	size := wireSize(msgs)
	rc, err := n.conn.SyscallConn()
	if err != nil {
		return err
	}
	// The kernel refuses a send longer than sk_sndbuf - 32 (what
	// getsockopt reports: twice the size asked for).
	room := func() (int, error) {
		var got int
		var gerr error
		if err := rc.Control(func(fd uintptr) { got, gerr = unix.GetsockoptInt(int(fd), unix.SOL_SOCKET, unix.SO_SNDBUF) }); err != nil {
			return 0, err
		}
		return got - 32, gerr
	}
	if n.sndbuf == 0 {
		if n.sndbuf, err = room(); err != nil {
			return err
		}
	}
	if size <= n.sndbuf {
		return nil
	}
	want := max(size, 1<<20) // grow in large steps
	var forceErr, setErr error
	if err := rc.Control(func(fd uintptr) {
		if forceErr = setsockoptInt(int(fd), unix.SOL_SOCKET, unix.SO_SNDBUFFORCE, want); forceErr != nil {
			setErr = setsockoptInt(int(fd), unix.SOL_SOCKET, unix.SO_SNDBUF, want)
		}
	}); err != nil {
		return err
	}
	if n.sndbuf, err = room(); err != nil {
		return err
	}
	if size > n.sndbuf {
		return fmt.Errorf("a batch of %d bytes does not fit the netlink send buffer (%d bytes; forcing it: %v; asking: %v)",
			size, n.sndbuf, forceErr, setErr)
	}
	return nil
}

// wireSize is how many bytes msgs take in one send: each a 16-byte
// header and its payload, aligned to 4.
func wireSize(msgs []netlink.Message) int {
	size := 0
	for _, m := range msgs {
		size += (16 + len(m.Data) + 3) &^ 3
	}
	return size
}
