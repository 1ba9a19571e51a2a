package apiserver

import (
	"context"
	"io"
	"net/http"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"

	"vigil.dev/vigil/internal/resource"
)

// NodeProxy reaches what only the node running a VMI has: its serial
// console, its console log, and its guest agent. The node agent
// (internal/node) implements it; the server only relays.
//
// Errors are API errors (k8s.io/apimachinery/pkg/api/errors): NotFound for
// an unknown VMI, Conflict or ServiceUnavailable for "VMI is not running" or
// "guest agent is not connected", Timeout when the guest did not answer in
// time. The server passes them on as a metav1.Status; any other error is a
// 500.
type NodeProxy interface {
	// Console connects to the VMI's serial console; one client at a time
	// (a second gets an error saying the console is in use). Closing the
	// connection ends the session and must unblock a pending Read or Write.
	Console(ctx context.Context, namespace, name string) (io.ReadWriteCloser, error)
	// Logs returns the serial console log from the start; with follow, the
	// reader blocks for more until ctx ends or the VMI's QEMU is gone.
	Logs(ctx context.Context, namespace, name string, follow bool) (io.ReadCloser, error)
	// GuestExec runs argv in the guest through the guest agent and waits
	// for it to end or the timeout.
	GuestExec(ctx context.Context, namespace, name string, argv []string, timeout time.Duration) (*GuestExecResult, error)
}

// GuestExecResult is what a command run in the guest left: its exit code
// and its output. Truncated says the guest agent cut the output short.
type GuestExecResult struct {
	ExitCode  int    `json:"exitCode"`
	Stdout    string `json:"stdout"`
	Stderr    string `json:"stderr"`
	Truncated bool   `json:"truncated,omitempty"`
}

// vmiHandler serves one node-backed subresource of a VMI.
type vmiHandler func(s *Server, w http.ResponseWriter, r *http.Request, ns, name string)

// vmiSubresources are the VMI subresources the node agent answers.
var vmiSubresources = map[string]vmiHandler{
	"console":   (*Server).serveConsole,
	"log":       (*Server).serveLogs,
	"guestexec": (*Server).serveGuestExec,
}

// serveVMISubresource serves namespaces/NS/virtualmachineinstances/NAME/SUB
// of the subresources group (segs is the path after the group version) when
// SUB is one the node answers, and reports whether it did.
func (s *Server) serveVMISubresource(w http.ResponseWriter, r *http.Request, segs []string) bool {
	if len(segs) != 5 || segs[0] != "namespaces" || segs[2] != resource.VirtualMachineInstances.Resource {
		return false
	}
	ns, name, sub := segs[1], segs[3], segs[4]
	handler, ok := vmiSubresources[sub]
	if !ok {
		return false
	}
	for _, v := range []string{ns, name} {
		if err := checkPathSegment(v); err != nil {
			s.writeError(w, r, err)
			return true
		}
	}
	if s.cfg.Node == nil {
		s.writeError(w, r, apierrors.NewServiceUnavailable("no node agent runs in this daemon"))
		return true
	}
	handler(s, w, r, ns, name)
	return true
}

// vmiKey is the value of the "vmi" log key.
func vmiKey(ns, name string) string { return ns + "/" + name }

// methodNotAllowed is the 405 for a VMI subresource asked with the wrong verb.
func methodNotAllowed(method, sub string) error {
	return apierrors.NewMethodNotSupported(resource.VirtualMachineInstances.GroupResource(), method+" "+sub)
}
