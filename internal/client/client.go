package client

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	utilnet "k8s.io/apimachinery/pkg/util/net"
)

// Client talks to one vigil daemon. It is safe for concurrent use.
type Client struct {
	ep        endpoint
	http      *http.Client
	token     string
	userAgent string
	timeout   time.Duration
	warn      func(string)
}

// Response is a raw answer from the server.
type Response struct {
	Status int
	Body   []byte
	Header http.Header
}

// New builds a client from cfg. It does not contact the server.
func New(cfg Config) (*Client, error) {
	ep, err := parseServer(cfg.Server)
	if err != nil {
		return nil, err
	}
	t, err := newTransport(ep, cfg)
	if err != nil {
		return nil, err
	}
	ua := cfg.UserAgent
	if ua == "" {
		ua = "vigil-client"
	}
	return &Client{
		ep:        ep,
		http:      &http.Client{Transport: t}, // no client-wide timeout: watches are long
		token:     cfg.Token,
		userAgent: ua,
		timeout:   cfg.Timeout,
		warn:      cfg.WarningHandler,
	}, nil
}

// Server is the address the client talks to, as configured.
func (c *Client) Server() string { return c.ep.display }

// request is one HTTP exchange.
type request struct {
	method      string
	path        string
	query       url.Values
	body        []byte
	contentType string
}

// send performs a request and returns the open response; the caller closes
// its body. Transport failures come back wrapped with the server address.
func (c *Client) send(ctx context.Context, r request) (*http.Response, error) {
	u := c.ep.base + r.path
	if len(r.query) > 0 {
		u += "?" + r.query.Encode()
	}
	var body io.Reader
	if r.body != nil {
		body = bytes.NewReader(r.body)
	}
	req, err := http.NewRequestWithContext(ctx, r.method, u, body)
	if err != nil {
		return nil, fmt.Errorf("building %s %s: %w", r.method, r.path, err)
	}
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", c.userAgent)
	if r.body != nil {
		ct := r.contentType
		if ct == "" {
			ct = "application/json"
		}
		req.Header.Set("Content-Type", ct)
	}
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return nil, c.transportError(err)
	}
	c.handleWarnings(resp.Header)
	return resp, nil
}

// Do sends one request and reads the whole answer. A status outside 2xx
// gives the Response and an error: a *apierrors.StatusError decoded from the
// body when it is a metav1.Status, else a generic one built from the code.
func (c *Client) Do(ctx context.Context, method, path string, query url.Values, body []byte, contentType string) (*Response, error) {
	if c.timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, c.timeout)
		defer cancel()
	}
	resp, err := c.send(ctx, request{method: method, path: path, query: query, body: body, contentType: contentType})
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, fmt.Errorf("reading the answer to %s %s from %s: %w", method, path, c.ep.display, err)
	}
	out := &Response{Status: resp.StatusCode, Body: data, Header: resp.Header}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return out, statusError(method, resp.StatusCode, data)
	}
	return out, nil
}

// handleWarnings passes each well-formed Warning header to the handler.
func (c *Client) handleWarnings(h http.Header) {
	if c.warn == nil {
		return
	}
	values := h.Values("Warning")
	if len(values) == 0 {
		return
	}
	warnings, _ := utilnet.ParseWarningHeaders(values)
	for _, w := range warnings {
		if w.Code == 299 && strings.TrimSpace(w.Text) != "" {
			c.warn(w.Text)
		}
	}
}
