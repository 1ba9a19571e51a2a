package prober

import (
	"fmt"
	"net/textproto"
	"net/url"
	"runtime/debug"
	"strings"
	"sync"

	corev1 "k8s.io/api/core/v1"
)

// HTTPOptions tune HTTP probers.
type HTTPOptions struct {
	// UserAgent is the User-Agent sent unless the probe sets its own;
	// empty means UserAgent(version of this build).
	UserAgent string
}

// UserAgent is the default User-Agent for a vigil build of version.
func UserAgent(version string) string { return "vigil-probe/" + version }

var defaultUserAgent = sync.OnceValue(func() string {
	v := "devel"
	if info, ok := debug.ReadBuildInfo(); ok && info.Main.Version != "" && info.Main.Version != "(devel)" {
		v = info.Main.Version
	}
	return UserAgent(v)
})

// header is one request header, name canonicalised.
type header struct{ name, value string }

// request is everything one HTTP probe sends, fixed at construction.
type request struct {
	url     *url.URL // scheme, host:port (the dial address), path and query
	host    string   // the Host line: a Host header's value, else url.Host
	headers []header // in order: User-Agent, Accept, then the user's
}

// newRequest builds the probe's request from action and target and
// checks every field; errors name the field.
func newRequest(action *corev1.HTTPGetAction, target Target, opts HTTPOptions) (*request, error) {
	if action == nil {
		return nil, fmt.Errorf("httpGet: missing")
	}
	scheme, err := probeScheme(action.Scheme)
	if err != nil {
		return nil, err
	}
	if target.Host == "" {
		return nil, fmt.Errorf("httpGet.host: no host and no VMI IP to probe")
	}
	if target.Port < 1 || target.Port > 65535 {
		return nil, fmt.Errorf("httpGet.port: %d is not a valid port number", target.Port)
	}
	u, err := probeURL(scheme, target, action.Path)
	if err != nil {
		return nil, err
	}
	hs, err := probeHeaders(action.HTTPHeaders)
	if err != nil {
		return nil, err
	}
	req := &request{url: u, host: hostLine(u.Host)}
	ua := opts.UserAgent
	if ua == "" {
		ua = defaultUserAgent()
	}
	req.headers = withDefaults(hs, ua)
	for _, h := range hs {
		if h.name == "Host" && h.value != "" {
			req.host = h.value
			break
		}
	}
	return req, nil
}

func probeScheme(s corev1.URIScheme) (string, error) {
	switch strings.ToUpper(string(s)) {
	case "", "HTTP":
		return "http", nil
	case "HTTPS":
		return "https", nil
	default:
		return "", fmt.Errorf("httpGet.scheme: %q is not HTTP or HTTPS", s)
	}
}

// probeURL is scheme://host:port/path, the path parsed as kubelet does (it
// may carry a query; a missing leading slash is added).
func probeURL(scheme string, target Target, path string) (*url.URL, error) {
	if path == "" {
		path = "/"
	}
	u, err := url.Parse(path)
	if err != nil {
		return nil, fmt.Errorf("httpGet.path: %q: %w", path, err)
	}
	u.Scheme = scheme
	u.Host = joinHostPort(target)
	u.User = nil
	u.Fragment, u.RawFragment = "", ""
	if !strings.HasPrefix(u.Path, "/") {
		u.Path = "/" + u.Path
		u.RawPath = ""
	}
	return u, nil
}

// hostLine is the Host line for a dial address: an IPv6 zone is dropped
// (it means nothing to the server).
func hostLine(hostport string) string {
	if i := strings.IndexByte(hostport, '%'); i >= 0 && strings.HasPrefix(hostport, "[") {
		if j := strings.IndexByte(hostport[i:], ']'); j >= 0 {
			return hostport[:i] + hostport[i+j:]
		}
	}
	return hostport
}

func probeHeaders(in []corev1.HTTPHeader) ([]header, error) {
	out := make([]header, 0, len(in))
	for i, h := range in {
		if !validHeaderName(h.Name) {
			return nil, fmt.Errorf("httpGet.httpHeaders[%d].name: %q is not a valid header name", i, h.Name)
		}
		if !validHeaderValue(h.Value) {
			return nil, fmt.Errorf("httpGet.httpHeaders[%d].value: control characters are not allowed", i)
		}
		out = append(out, header{name: textproto.CanonicalMIMEHeaderKey(h.Name), value: strings.TrimSpace(h.Value)})
	}
	return out, nil
}

// withDefaults is the header list to send: User-Agent and Accept defaults
// unless the user set them, an empty User-Agent or Accept dropped (that is
// how a user removes them), Host left to the Host line, framing headers
// dropped (a GET has no body, and every probe closes its connection).
func withDefaults(hs []header, userAgent string) []header {
	out := make([]header, 0, len(hs)+2)
	if !hasHeader(hs, "User-Agent") {
		out = append(out, header{"User-Agent", userAgent})
	}
	if !hasHeader(hs, "Accept") {
		out = append(out, header{"Accept", "*/*"})
	}
	for _, h := range hs {
		switch h.name {
		case "Host", "Connection", "Content-Length", "Transfer-Encoding", "Trailer":
			continue
		case "User-Agent", "Accept":
			if h.value == "" {
				continue
			}
		}
		out = append(out, h)
	}
	return out
}

func hasHeader(hs []header, name string) bool {
	for _, h := range hs {
		if h.name == name {
			return true
		}
	}
	return false
}

// validHeaderName: a token (RFC 9110 section 5.6.2).
func validHeaderName(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 0x80 || c <= ' ' || strings.IndexByte("\"(),/:;<=>?@[\\]{}", c) >= 0 || c == 0x7f {
			return false
		}
	}
	return true
}

// validHeaderValue: no control characters but tab.
func validHeaderValue(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; (c < ' ' && c != '\t') || c == 0x7f {
			return false
		}
	}
	return true
}
