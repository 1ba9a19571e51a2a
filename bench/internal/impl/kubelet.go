package impl

import (
	"context"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	kprobe "k8s.io/kubernetes/pkg/probe"
	khttp "k8s.io/kubernetes/pkg/probe/http"
	ktcp "k8s.io/kubernetes/pkg/probe/tcp"

	"vigil.dev/vigil/internal/probe/prober"
)

// kubeletHTTP runs kubelet's HTTP prober the way pkg/kubelet/prober does:
// one prober for the node (New(false): no redirects to other hosts), and a
// request built from the probe's HTTPGetAction at every probe.
type kubeletHTTP struct {
	p       khttp.Prober
	action  *corev1.HTTPGetAction
	host    string
	timeout time.Duration
}

var sharedKubeletHTTP = khttp.New(false)

func newKubeletHTTP(t prober.Target, path string, timeout time.Duration) (prober.Prober, error) {
	action := &corev1.HTTPGetAction{Path: path, Port: intstr.FromInt(t.Port), Scheme: corev1.URISchemeHTTP}
	return &kubeletHTTP{p: sharedKubeletHTTP, action: action, host: t.Host, timeout: timeout}, nil
}

func (k *kubeletHTTP) Probe(ctx context.Context) prober.Outcome {
	req, err := khttp.NewRequestForHTTPGetAction(k.action, &corev1.Container{}, k.host, "probe")
	if err != nil {
		return prober.Outcome{Result: prober.Unknown, Output: err.Error()}
	}
	res, out, err := k.p.Probe(req, timeoutOf(ctx, k.timeout))
	return kubeletOutcome(res, out, err)
}

type kubeletTCP struct {
	p       ktcp.Prober
	host    string
	port    int
	timeout time.Duration
}

func newKubeletTCP(t prober.Target, _ string, timeout time.Duration) (prober.Prober, error) {
	return &kubeletTCP{p: ktcp.New(), host: t.Host, port: t.Port, timeout: timeout}, nil
}

func (k *kubeletTCP) Probe(ctx context.Context) prober.Outcome {
	res, out, err := k.p.Probe(k.host, k.port, timeoutOf(ctx, k.timeout))
	return kubeletOutcome(res, out, err)
}

func kubeletOutcome(res kprobe.Result, out string, err error) prober.Outcome {
	if err != nil {
		return prober.Outcome{Result: prober.Unknown, Output: err.Error()}
	}
	switch res {
	case kprobe.Success:
		return prober.Outcome{Result: prober.Success, Output: out}
	case kprobe.Warning:
		return prober.Outcome{Result: prober.Warning, Output: out}
	case kprobe.Failure:
		return prober.Outcome{Result: prober.Failure, Output: out}
	default:
		return prober.Outcome{Result: prober.Unknown, Output: out}
	}
}

// timeoutOf is what is left of ctx's deadline, or def without one.
func timeoutOf(ctx context.Context, def time.Duration) time.Duration {
	if dl, ok := ctx.Deadline(); ok {
		return time.Until(dl)
	}
	return def
}
