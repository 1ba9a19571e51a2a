package apiserver

import (
	"context"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
)

// ConsoleProtocol is the Upgrade token of the console subresource. KubeVirt
// serves its console as a websocket; a plain HTTP/1.1 upgrade to a raw byte
// stream is enough for vigil's client and needs no framing.
const ConsoleProtocol = "vigil-console"

// switchingProtocols is the whole 101 answer; after it the connection
// carries console bytes both ways.
const switchingProtocols = "HTTP/1.1 101 Switching Protocols\r\n" +
	"Connection: Upgrade\r\nUpgrade: " + ConsoleProtocol + "\r\n\r\n"

// serveConsole serves GET .../virtualmachineinstances/NAME/console: it
// connects to the node's console first, so refusals (unknown VMI, console
// in use) still come back as a Status, then takes the connection over and
// relays bytes until either side ends, the client goes, or the server
// shuts down.
func (s *Server) serveConsole(w http.ResponseWriter, r *http.Request, ns, name string) {
	if r.Method != http.MethodGet {
		s.writeError(w, r, methodNotAllowed(r.Method, "console"))
		return
	}
	if !wantsConsoleUpgrade(r.Header) {
		s.writeError(w, r, apierrors.NewBadRequest(
			"the console needs the headers Connection: Upgrade and Upgrade: "+ConsoleProtocol))
		return
	}
	ctx, cancel := s.watchContext(r.Context(), 0)
	defer cancel()
	console, err := s.cfg.Node.Console(ctx, ns, name)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	conn, buf, err := http.NewResponseController(w).Hijack()
	if err != nil {
		_ = console.Close()
		s.writeError(w, r, apierrors.NewBadRequest("the console needs an HTTP/1.1 connection that can be upgraded: "+err.Error()))
		return
	}
	noteStatus(w, http.StatusSwitchingProtocols)
	if _, err := buf.WriteString(switchingProtocols); err == nil {
		err = buf.Flush()
	}
	if err != nil {
		s.log.Debug("console: answering the upgrade", "vmi", vmiKey(ns, name), "err", err)
		_ = console.Close()
		_ = conn.Close()
		return
	}
	s.log.Info("console attached", "vmi", vmiKey(ns, name), "remote", r.RemoteAddr)
	relayConsole(ctx, conn, buf.Reader, console)
	s.log.Info("console detached", "vmi", vmiKey(ns, name), "remote", r.RemoteAddr)
}

// wantsConsoleUpgrade checks for `Connection: Upgrade` (a token among
// others) and `Upgrade: vigil-console`.
func wantsConsoleUpgrade(h http.Header) bool {
	return headerHasToken(h, "Connection", "upgrade") && headerHasToken(h, "Upgrade", ConsoleProtocol)
}

// headerHasToken reports whether any value of the header, as a comma
// separated list, holds token (case-insensitive).
func headerHasToken(h http.Header, key, token string) bool {
	for _, v := range h.Values(key) {
		for t := range strings.SplitSeq(v, ",") {
			if strings.EqualFold(strings.TrimSpace(t), token) {
				return true
			}
		}
	}
	return false
}

// noteStatus tells the request log the code of a reply written on a
// hijacked connection, which the recorder cannot see.
func noteStatus(w http.ResponseWriter, code int) {
	if rec, ok := w.(*recorder); ok && rec.code == 0 {
		rec.code = code
	}
}

// relayConsole copies bytes both ways between the client connection (read
// through its buffered reader, which may already hold bytes sent right
// after the request) and the node's console. When either direction ends,
// or ctx ends, both ends are closed; it returns once both copies stopped.
func relayConsole(ctx context.Context, conn net.Conn, fromClient io.Reader, console io.ReadWriteCloser) {
	closeBoth := sync.OnceFunc(func() {
		_ = conn.Close()
		_ = console.Close()
	})
	stop := context.AfterFunc(ctx, closeBoth)
	defer stop()
	var wg sync.WaitGroup
	wg.Go(func() {
		_, _ = io.Copy(conn, console)
		closeBoth()
	})
	wg.Go(func() {
		_, _ = io.Copy(console, fromClient)
		closeBoth()
	})
	wg.Wait()
}
