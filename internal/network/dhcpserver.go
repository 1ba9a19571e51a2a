package network

import (
	"errors"
	"fmt"
	"log/slog"
	"net"

	"github.com/insomniacslk/dhcp/dhcpv4"
	"github.com/insomniacslk/dhcp/dhcpv4/server4"
)

// dhcpServer is the in-process DHCPv4 server on the bridge: server4 reads
// and parses, responder decides, this file logs and sends.
type dhcpServer struct {
	srv  *server4.Server
	resp *responder
	log  *slog.Logger
	done chan struct{} // closed when Serve has returned
}

// startDHCP binds UDP port 67 on the bridge (SO_BINDTODEVICE, so only the
// guests' segment is served even when another interface of the host sees
// DHCP traffic) and serves in the background until close.
func startDHCP(bridge string, resp *responder, log *slog.Logger) (*dhcpServer, error) {
	s := &dhcpServer{resp: resp, log: log, done: make(chan struct{})}
	addr := &net.UDPAddr{IP: net.IPv4zero, Port: dhcpv4.ServerPort}
	srv, err := server4.NewServer(bridge, addr, s.handle, server4.WithLogger(quietLogger{}))
	if err != nil {
		return nil, fmt.Errorf("dhcp server on bridge %s: %w", bridge, err)
	}
	s.srv = srv
	go func() {
		defer close(s.done)
		err := srv.Serve()
		if err != nil && !errors.Is(err, net.ErrClosed) {
			log.Error("dhcp server stopped", "err", err)
		}
	}()
	log.Info("dhcp server started", "server", resp.serverIP.String())
	return s, nil
}

// handle answers one request; server4 runs it in its own goroutine.
func (s *dhcpServer) handle(conn net.PacketConn, _ net.Addr, req *dhcpv4.DHCPv4) {
	mac := req.ClientHWAddr.String()
	resp, skip, err := s.resp.respond(req)
	if err != nil {
		s.log.Error("dhcp reply", "mac", mac, "err", err)
		return
	}
	if resp == nil {
		s.log.Debug("dhcp request not answered", "mac", mac, "type", req.MessageType().String(), "reason", skip)
		return
	}
	to := replyAddr(req, resp)
	if _, err := conn.WriteTo(resp.ToBytes(), to); err != nil {
		s.log.Warn("dhcp send", "mac", mac, "to", to.String(), "err", err)
		return
	}
	s.log.Debug("dhcp reply sent", "mac", mac, "type", resp.MessageType().String(),
		"ip", resp.YourIPAddr.String(), "to", to.String())
}

// close stops the server and waits for its read loop to end. Replies that
// are being sent at that moment fail and are logged.
func (s *dhcpServer) close() error {
	err := s.srv.Close()
	<-s.done
	if err != nil && !errors.Is(err, net.ErrClosed) {
		return fmt.Errorf("close dhcp server: %w", err)
	}
	return nil
}

// quietLogger silences server4's own printf logging; this file logs
// through slog instead.
type quietLogger struct{}

func (quietLogger) PrintMessage(string, *dhcpv4.DHCPv4) {}
func (quietLogger) Printf(string, ...interface{})       {}
