package prober

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/url"
	"strings"

	corev1 "k8s.io/api/core/v1"
)

// maxRequests is how many requests one probe may make, redirects
// included; kubelet (through net/http's default policy) stops there too.
const maxRequests = 10

type httpProber struct {
	req *request
	raw []byte // the first request, serialised once
	tls *tls.Config
}

var _ Prober = (*httpProber)(nil)

// NewHTTP returns a prober for action against target. It checks and
// serialises the request now, so a bad scheme, path or header is an error
// here (naming the field) rather than an Unknown at every probe.
//
// Each probe opens a new connection, sends GET with "Connection: close",
// reads the status line, the headers and at most MaxOutput bytes of body
// within ctx, and closes. 2xx is Success; a redirect to the same hostname
// is followed (at most maxRequests requests in all, then Failure); any
// other 3xx, including a redirect to another host, is Warning; everything
// else is Failure "HTTP probe failed with statuscode: N". HTTPS does not
// verify the certificate. Output is empty on Success (the body is read
// but only a Warning quotes it) and the error text on a failed exchange.
func NewHTTP(action *corev1.HTTPGetAction, target Target, opts HTTPOptions) (Prober, error) {
	req, err := newRequest(action, target, opts)
	if err != nil {
		return nil, err
	}
	return &httpProber{
		req: req,
		raw: req.serialise(req.url, req.host),
		// Built even for plain HTTP: a redirect may lead to HTTPS on the
		// same host, and one config serves every hop (same hostname).
		tls: &tls.Config{
			InsecureSkipVerify: true, // the guest's certificate is its own business
			ServerName:         serverName(req.url.Hostname()),
		},
	}, nil
}

func (p *httpProber) Probe(ctx context.Context) Outcome {
	u, raw := p.req.url, p.raw
	for n := 1; ; n++ {
		resp, err := exchange(ctx, u, raw, p.tls)
		if err != nil {
			return errorOutcome(ctx, err)
		}
		next, out, done := p.judge(u, &resp, n)
		if done {
			return out
		}
		u, raw = next, p.req.serialise(next, p.redirectHost(next, resp.location))
	}
}

// judge turns the n-th response into an outcome, or into the URL to
// follow (done false).
func (p *httpProber) judge(u *url.URL, resp *response, n int) (*url.URL, Outcome, bool) {
	switch {
	case resp.status >= 200 && resp.status < 300:
		return nil, Outcome{Result: Success}, true
	case resp.status < 300 || resp.status >= 400:
		return nil, failure(fmt.Sprintf("HTTP probe failed with statuscode: %d", resp.status)), true
	case !isRedirect(resp.status) || resp.location == "":
		return nil, warning(fmt.Sprintf("HTTP probe returned statuscode %d, response body: %s", resp.status, resp.body)), true
	}
	next, err := u.Parse(resp.location)
	if err != nil {
		return nil, failure((&url.Error{Op: "Get", URL: u.String(),
			Err: fmt.Errorf("failed to parse Location header %q: %w", resp.location, err)}).Error()), true
	}
	next.Fragment, next.RawFragment, next.User = "", "", nil
	switch {
	case !strings.EqualFold(next.Hostname(), p.req.url.Hostname()):
		return nil, warning(fmt.Sprintf("Probe terminated redirects: %s is on another host and was not followed, response body: %s",
			next, resp.body)), true
	case n >= maxRequests:
		return nil, failure(fmt.Sprintf("Get %q: stopped after %d redirects", next, maxRequests)), true
	case next.Scheme != "http" && next.Scheme != "https":
		return nil, failure(fmt.Sprintf("Get %q: unsupported protocol scheme %q", next, next.Scheme)), true
	}
	return next, Outcome{}, false
}

func isRedirect(status int) bool {
	switch status {
	case 301, 302, 303, 307, 308:
		return true
	}
	return false
}

// redirectHost is the Host line for a followed redirect to next, given
// as location. As net/http does, a Host set by the probe survives a
// relative redirect only.
func (p *httpProber) redirectHost(next *url.URL, location string) string {
	if p.req.host != hostLine(p.req.url.Host) {
		if loc, err := url.Parse(location); err == nil && !loc.IsAbs() {
			return p.req.host
		}
	}
	return hostLine(next.Host)
}

func warning(msg string) Outcome { return Outcome{Result: Warning, Output: bound(msg)} }

// errorOutcome: the exchange failed. That is the guest's Failure, unless
// the caller canceled the probe (not its deadline): then nothing was
// learnt about the guest.
func errorOutcome(ctx context.Context, err error) Outcome {
	if errors.Is(ctx.Err(), context.Canceled) {
		return unknown("http probe canceled: " + err.Error())
	}
	return failure(err.Error())
}

// serialise writes the GET request for u with the Host line host.
func (r *request) serialise(u *url.URL, host string) []byte {
	n := 64 + len(u.RequestURI()) + len(host)
	for _, h := range r.headers {
		n += len(h.name) + len(h.value) + 4
	}
	b := make([]byte, 0, n)
	b = append(b, "GET "...)
	b = append(b, u.RequestURI()...)
	b = append(b, " HTTP/1.1\r\nHost: "...)
	b = append(b, host...)
	b = append(b, "\r\n"...)
	for _, h := range r.headers {
		b = append(b, h.name...)
		b = append(b, ": "...)
		b = append(b, h.value...)
		b = append(b, "\r\n"...)
	}
	return append(b, "Connection: close\r\n\r\n"...)
}

// serverName is the TLS SNI for a hostname: none for an IP literal.
func serverName(host string) string {
	if net.ParseIP(host) != nil {
		return ""
	}
	return host
}
