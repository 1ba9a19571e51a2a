package impl

import (
	"fmt"
	"time"

	corev1 "k8s.io/api/core/v1"

	"vigil.dev/vigil/internal/probe/prober"
)

// Kind is what an implementation probes.
type Kind string

// Probe kinds.
const (
	HTTP Kind = "http"
	TCP  Kind = "tcp"
)

// Impl is one implementation under test.
type Impl struct {
	Name string
	Kind Kind
	// About says in a few words what it is, for the report.
	About string
	// New builds a prober for target (for HTTP, GET path); timeout is
	// what implementations that take a duration instead of a context
	// deadline get.
	New func(t prober.Target, path string, timeout time.Duration) (prober.Prober, error)
}

// All lists every implementation, HTTP first.
func All() []Impl {
	return []Impl{
		{"vigil", HTTP, "internal/probe/prober: own HTTP/1.1 GET", newVigilHTTP},
		{"kubelet", HTTP, "k8s.io/kubernetes/pkg/probe/http (request built per probe, as kubelet does)", newKubeletHTTP},
		{"net/http shared", HTTP, "net/http client, one Transport with DisableKeepAlives", newNetHTTPShared},
		{"net/http per probe", HTTP, "net/http client, a new Transport per probe", newNetHTTPPerProbe},
		{"bare", HTTP, "dial, write one request, read the status line, close", newBareHTTP},
		{"vigil", TCP, "internal/probe/prober", newVigilTCP},
		{"kubelet", TCP, "k8s.io/kubernetes/pkg/probe/tcp", newKubeletTCP},
		{"bare", TCP, "net.DialTimeout, close", newBareTCP},
	}
}

// Find returns the implementation of kind named name.
func Find(kind Kind, name string) (Impl, error) {
	for _, i := range All() {
		if i.Kind == kind && i.Name == name {
			return i, nil
		}
	}
	return Impl{}, fmt.Errorf("no %s implementation named %q", kind, name)
}

func newVigilHTTP(t prober.Target, path string, _ time.Duration) (prober.Prober, error) {
	return prober.NewHTTP(&corev1.HTTPGetAction{Path: path}, t, prober.HTTPOptions{UserAgent: "vigil-probe/bench"})
}

func newVigilTCP(t prober.Target, _ string, _ time.Duration) (prober.Prober, error) {
	return prober.NewTCP(t), nil
}
