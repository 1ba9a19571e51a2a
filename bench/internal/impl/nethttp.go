package impl

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"time"

	"vigil.dev/vigil/internal/probe/prober"
)

// netHTTP is a probe written on net/http's client the obvious way, to
// measure the two ways of getting a fresh connection per probe: a shared
// Transport with DisableKeepAlives, or a Transport per probe.
type netHTTP struct {
	url       string
	transport *http.Transport // nil: a new one per probe
}

func newTransport() *http.Transport {
	return &http.Transport{
		DisableKeepAlives:  true,
		DisableCompression: true,
		Proxy:              nil,
		DialContext:        (&net.Dialer{KeepAlive: -1}).DialContext,
	}
}

func newNetHTTPShared(t prober.Target, path string, _ time.Duration) (prober.Prober, error) {
	return &netHTTP{url: probeURL(t, path), transport: newTransport()}, nil
}

func newNetHTTPPerProbe(t prober.Target, path string, _ time.Duration) (prober.Prober, error) {
	return &netHTTP{url: probeURL(t, path)}, nil
}

func probeURL(t prober.Target, path string) string {
	return "http://" + net.JoinHostPort(t.Host, strconv.Itoa(t.Port)) + path
}

func (n *netHTTP) Probe(ctx context.Context) prober.Outcome {
	tr := n.transport
	if tr == nil {
		tr = newTransport()
		defer tr.CloseIdleConnections()
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, n.url, nil)
	if err != nil {
		return prober.Outcome{Result: prober.Unknown, Output: err.Error()}
	}
	req.Header.Set("User-Agent", "vigil-probe/bench")
	req.Header.Set("Accept", "*/*")
	res, err := (&http.Client{Transport: tr}).Do(req)
	if err != nil {
		return prober.Outcome{Result: prober.Failure, Output: err.Error()}
	}
	defer res.Body.Close()
	if _, err := io.Copy(io.Discard, io.LimitReader(res.Body, prober.MaxOutput)); err != nil {
		return prober.Outcome{Result: prober.Failure, Output: err.Error()}
	}
	if res.StatusCode >= 200 && res.StatusCode < 400 {
		return prober.Outcome{Result: prober.Success}
	}
	return prober.Outcome{Result: prober.Failure, Output: fmt.Sprintf("HTTP probe failed with statuscode: %d", res.StatusCode)}
}
