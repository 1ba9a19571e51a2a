package apiserver

import (
	"context"
	"net/http"
	"strings"
	"sync"
	"testing"

	apierrors "k8s.io/apimachinery/pkg/api/errors"

	"vigil.dev/vigil/internal/resource"
)

// pauseNode is a node that only pauses: it records the calls it gets and
// answers with err. The embedded NodeProxy is nil: the pause routes must
// not use it.
type pauseNode struct {
	NodeProxy
	mu    sync.Mutex
	calls []string
	err   error
}

func (n *pauseNode) Pause(_ context.Context, ns, name string) error {
	return n.record("pause " + ns + "/" + name)
}

func (n *pauseNode) Unpause(_ context.Context, ns, name string) error {
	return n.record("unpause " + ns + "/" + name)
}

func (n *pauseNode) record(call string) error {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.calls = append(n.calls, call)
	return n.err
}

func (n *pauseNode) got() []string {
	n.mu.Lock()
	defer n.mu.Unlock()
	return append([]string(nil), n.calls...)
}

var _ NodePauser = (*pauseNode)(nil)

func pausePath(e *env, name, verb string) string {
	return "/apis/subresources.kubevirt.io/v1/namespaces/" + e.ns + "/virtualmachineinstances/" + name + "/" + verb
}

// runningVMI creates VMI name with spec extras and writes its status.
func runningVMI(t *testing.T, e *env, name string, spec map[string]any, status string) {
	t.Helper()
	vmi := vmiJSON(name)
	for k, v := range spec {
		vmi["spec"].(map[string]any)[k] = v
	}
	e.do("POST", e.vmiPath(), "application/json", vmi).must(t, 201)
	e.do("PATCH", e.vmiPath(name, "status"), mergePatch, `{"status":`+status+`}`).must(t, 200)
}

const (
	statusRunning = `{"phase":"Running"}`
	statusPaused  = `{"phase":"Running","conditions":[{"type":"Paused","status":"True","reason":"PausedByUser"}]}`
)

func TestPauseAndUnpauseFollowKubeVirtsRules(t *testing.T) {
	node := &pauseNode{}
	e := newEnv(t, func(c *Config) { c.Node = node })
	tcpLiveness := map[string]any{"livenessProbe": map[string]any{"tcpSocket": map[string]any{"port": 22}}}
	pingLiveness := map[string]any{"livenessProbe": map[string]any{"guestAgentPing": map[string]any{}}}
	runningVMI(t, e, "plain", nil, statusRunning)
	runningVMI(t, e, "paused", nil, statusPaused)
	runningVMI(t, e, "tcp", tcpLiveness, statusRunning)
	runningVMI(t, e, "ping", pingLiveness, statusRunning)
	runningVMI(t, e, "pending", nil, `{"phase":"Scheduled"}`)

	cases := []struct {
		name, verb string
		body       any
		code       int
		message    string // in the Status; "" for a success
	}{
		{"plain", "pause", nil, 200, ""},
		{"plain", "unpause", nil, 409, "VMI is not paused"},
		{"paused", "pause", nil, 409, "VMI is already paused"},
		{"paused", "unpause", "{}", 200, ""},
		{"tcp", "pause", nil, 403, `virtualmachineinstance.kubevirt.io "tcp" is forbidden: Pausing VMIs with LivenessProbe is currently not supported`},
		{"ping", "pause", nil, 200, ""},
		{"pending", "pause", nil, 409, "VM is not running"},
		{"pending", "unpause", nil, 409, "VMI is not running"},
		{"plain", "pause", `{"dryRun":["All"]}`, 200, ""},
		{"nosuch", "pause", nil, 404, "not found"},
		{"plain", "pause", "not json", 400, "not a JSON object"},
	}
	for _, c := range cases {
		r := e.do("PUT", pausePath(e, c.name, c.verb), "application/json", c.body)
		if r.code != c.code {
			t.Errorf("%s %s: %d %s, want %d", c.verb, c.name, r.code, r.body, c.code)
			continue
		}
		if c.message != "" && !strings.Contains(r.status(t).Message, c.message) {
			t.Errorf("%s %s: message %q, want %q in it", c.verb, c.name, r.status(t).Message, c.message)
		}
	}
	want := []string{"pause " + e.ns + "/plain", "unpause " + e.ns + "/paused", "pause " + e.ns + "/ping"}
	if got := node.got(); strings.Join(got, ",") != strings.Join(want, ",") {
		t.Errorf("node calls %q, want %q (refusals and dry runs reach no node)", got, want)
	}
}

func TestPauseMethodsAndMissingNode(t *testing.T) {
	node := &pauseNode{err: apierrors.NewConflict(resource.VirtualMachineInstances.GroupResource(), "plain",
		errString("VMI is already paused"))}
	e := newEnv(t, func(c *Config) { c.Node = node })
	runningVMI(t, e, "plain", nil, statusRunning)
	e.do("GET", pausePath(e, "plain", "pause"), "", nil).must(t, http.StatusMethodNotAllowed)
	// The node's own refusal (QEMU's state) reaches the client as it is.
	if msg := e.do("PUT", pausePath(e, "plain", "pause"), "", nil).must(t, 409).status(t).Message; !strings.Contains(msg, "already paused") {
		t.Errorf("node refusal: %q", msg)
	}

	bare := newEnv(t) // no node agent in this daemon
	runningVMI(t, bare, "plain", nil, statusRunning)
	bare.do("PUT", pausePath(bare, "plain", "pause"), "", nil).must(t, http.StatusServiceUnavailable)
	// Other verbs of the group still route as before.
	bare.do("PUT", "/apis/subresources.kubevirt.io/v1/namespaces/"+bare.ns+"/virtualmachineinstances/plain/freeze", "", nil).must(t, 404)
}

type errString string

func (e errString) Error() string { return string(e) }
