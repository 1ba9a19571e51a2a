package client

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	v1 "vigil.dev/vigil/api/v1"
)

// ConsoleProtocol is the Upgrade token the console subresource speaks: after
// the 101 answer the connection carries raw console bytes both ways.
const ConsoleProtocol = "vigil-console"

// GuestExecResult is what a command run in the guest left (the JSON answer
// of the guestexec subresource).
type GuestExecResult struct {
	ExitCode  int    `json:"exitCode"`
	Stdout    string `json:"stdout"`
	Stderr    string `json:"stderr"`
	Truncated bool   `json:"truncated,omitempty"`
}

// guestExecRequest is the body of the guestexec subresource.
type guestExecRequest struct {
	Command        []string `json:"command"`
	TimeoutSeconds int64    `json:"timeoutSeconds,omitempty"`
}

// vmiSubresourcePath is .../namespaces/NS/virtualmachineinstances/NAME/SUB
// of KubeVirt's subresource group.
func vmiSubresourcePath(ns, name, sub string) string {
	if ns == "" {
		ns = DefaultNamespace
	}
	return "/apis/" + v1.SubresourceGroupName + "/v1/namespaces/" + url.PathEscape(ns) +
		"/virtualmachineinstances/" + url.PathEscape(name) + "/" + sub
}

// Console attaches to the serial console of a VMI: an HTTP/1.1 upgrade over
// the client's transport (unix socket or TLS), then raw bytes both ways.
// The request timeout bounds the handshake only; the connection lasts
// until it is closed, ctx ends, or the server ends the session. Refusals
// (unknown VMI, console in use) come back as *apierrors.StatusError.
func (c *Client) Console(ctx context.Context, ns, name string) (io.ReadWriteCloser, error) {
	t, err := c.http1Transport()
	if err != nil {
		return nil, err
	}
	// A refused upgrade leaves an idle connection in this one-off
	// transport; the upgraded one is ours and is not touched.
	defer t.CloseIdleConnections()
	hctx, cancel := c.handshakeContext(ctx)
	defer cancel()
	req, err := c.streamRequest(hctx, http.MethodGet, vmiSubresourcePath(ns, name, "console"), nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Connection", "Upgrade")
	req.Header.Set("Upgrade", ConsoleProtocol)
	resp, err := t.RoundTrip(req)
	if err != nil {
		return nil, c.transportError(err)
	}
	c.handleWarnings(resp.Header)
	if resp.StatusCode != http.StatusSwitchingProtocols {
		defer resp.Body.Close()
		return nil, answerError(req.Method, resp)
	}
	rwc, ok := resp.Body.(io.ReadWriteCloser)
	if !ok || !strings.EqualFold(resp.Header.Get("Upgrade"), ConsoleProtocol) {
		resp.Body.Close()
		return nil, fmt.Errorf("console of VMI %q: %s switched to %q, not %s", name, c.ep.display, resp.Header.Get("Upgrade"), ConsoleProtocol)
	}
	conn := &consoleConn{ReadWriteCloser: rwc}
	conn.stop = context.AfterFunc(ctx, func() { _ = conn.Close() })
	return conn, nil
}

// consoleConn is an upgraded console connection tied to a context.
type consoleConn struct {
	io.ReadWriteCloser
	stop func() bool
	once sync.Once
	err  error
}

func (c *consoleConn) Close() error {
	c.once.Do(func() {
		c.stop()
		c.err = c.ReadWriteCloser.Close()
	})
	return c.err
}

// Logs reads the serial console log of a VMI from its start. With follow
// the reader returns more as the guest prints it, until ctx ends, the
// reader is closed, or the VMI's QEMU is gone. Like watches, log streams
// are not bounded by the request timeout.
func (c *Client) Logs(ctx context.Context, ns, name string, follow bool) (io.ReadCloser, error) {
	q := url.Values{"follow": {strconv.FormatBool(follow)}}
	req, err := c.streamRequest(ctx, http.MethodGet, vmiSubresourcePath(ns, name, "log")+"?"+q.Encode(), nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Accept", "text/plain, application/json")
	resp, err := c.http.Do(req)
	if err != nil {
		return nil, c.transportError(err)
	}
	c.handleWarnings(resp.Header)
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		defer resp.Body.Close()
		return nil, answerError(req.Method, resp)
	}
	return resp.Body, nil
}

// GuestExec runs argv in the guest of a VMI through its guest agent and
// returns the command's result; a non-zero exit code is a result, not an
// error. timeout is rounded up to whole seconds; 0 leaves the server's
// default (30 s).
func (c *Client) GuestExec(ctx context.Context, ns, name string, argv []string, timeout time.Duration) (*GuestExecResult, error) {
	if len(argv) == 0 {
		return nil, fmt.Errorf("guest exec in VMI %q: command: no program given", name)
	}
	body, err := json.Marshal(guestExecRequest{Command: argv, TimeoutSeconds: ceilSeconds(timeout)})
	if err != nil {
		return nil, fmt.Errorf("encoding the guest exec request for VMI %q: %w", name, err)
	}
	resp, err := c.Do(ctx, http.MethodPost, vmiSubresourcePath(ns, name, "guestexec"), nil, body, "")
	if err != nil {
		return nil, err
	}
	var res GuestExecResult
	if err := json.Unmarshal(resp.Body, &res); err != nil {
		return nil, fmt.Errorf("decoding the guest exec result of VMI %q: %w", name, err)
	}
	return &res, nil
}

// ceilSeconds is d in whole seconds, rounded up.
func ceilSeconds(d time.Duration) int64 {
	if d <= 0 {
		return 0
	}
	return int64((d + time.Second - 1) / time.Second)
}

// streamRequest builds a request with the client's identity and token.
func (c *Client) streamRequest(ctx context.Context, method, path string, body io.Reader) (*http.Request, error) {
	req, err := http.NewRequestWithContext(ctx, method, c.ep.base+path, body)
	if err != nil {
		return nil, fmt.Errorf("building %s %s: %w", method, path, err)
	}
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", c.userAgent)
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	return req, nil
}

// handshakeContext bounds a stream's opening by the request timeout.
func (c *Client) handshakeContext(ctx context.Context) (context.Context, context.CancelFunc) {
	if c.timeout > 0 {
		return context.WithTimeout(ctx, c.timeout)
	}
	return context.WithCancel(ctx)
}

// http1Transport is the client's transport limited to HTTP/1.1, which the
// console's upgrade needs (HTTP/2 has no Upgrade).
func (c *Client) http1Transport() (*http.Transport, error) {
	base, ok := c.http.Transport.(*http.Transport)
	if !ok {
		return nil, errors.New("the client's transport cannot open a console")
	}
	t := base.Clone()
	var p http.Protocols
	p.SetHTTP1(true)
	t.Protocols = &p
	if t.TLSClientConfig != nil {
		// The base transport may have added "h2" to the offered protocols;
		// a server that takes it would get HTTP/1.1 bytes.
		t.TLSClientConfig = t.TLSClientConfig.Clone()
		t.TLSClientConfig.NextProtos = []string{"http/1.1"}
	}
	return t, nil
}

// answerError reads a refused stream's answer into an API error.
func answerError(method string, resp *http.Response) error {
	data, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	return statusError(method, resp.StatusCode, data)
}
