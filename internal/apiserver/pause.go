package apiserver

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"

	v1 "vigil.dev/vigil/api/v1"
	"vigil.dev/vigil/internal/resource"
)

// NodePauser pauses and resumes the vCPUs of a running VMI. A NodeProxy
// that also implements it (the node agent does) serves KubeVirt's pause and
// unpause subresources; without it they answer 503. It is a separate
// interface so that NodeProxy implementations that do not pause need not
// change.
//
// The server checks KubeVirt's rules against the stored VMI first; the
// node checks QEMU's own state. Errors are API errors, as NodeProxy's.
type NodePauser interface {
	// Pause stops the VMI's vCPUs; the VMI's Paused condition turns True.
	Pause(ctx context.Context, namespace, name string) error
	// Unpause lets them run again.
	Unpause(ctx context.Context, namespace, name string) error
}

// KubeVirt's words for refused pauses and unpauses (pkg/virt-api/rest).
const (
	msgPauseNotRunning   = "VM is not running"
	msgUnpauseNotRunning = "VMI is not running"
	msgPauseLiveness     = "Pausing VMIs with LivenessProbe is currently not supported"
	msgAlreadyPaused     = "VMI is already paused"
	msgNotPaused         = "VMI is not paused"
)

// kubevirtVMI is how KubeVirt names the VMI resource in these refusals
// (singular).
var kubevirtVMI = schema.GroupResource{Group: v1.GroupName, Resource: "virtualmachineinstance"}

// pauseOptions is KubeVirt's PauseOptions and UnpauseOptions: only dryRun
// matters here; other fields are accepted and ignored.
type pauseOptions struct {
	DryRun []string `json:"dryRun,omitempty"`
}

// servePause serves PUT namespaces/NS/virtualmachineinstances/NAME/pause
// and .../unpause of the subresources group (segs is the path after the
// group version) and reports whether the path was one of them. KubeVirt
// answers 200 with an empty body.
func (s *Server) servePause(w http.ResponseWriter, r *http.Request, segs []string) bool {
	if len(segs) != 5 || segs[0] != "namespaces" || segs[2] != resource.VirtualMachineInstances.Resource ||
		(segs[4] != "pause" && segs[4] != "unpause") {
		return false
	}
	ns, name, verb := segs[1], segs[3], segs[4]
	if err := s.pause(r, ns, name, verb); err != nil {
		s.writeError(w, r, err)
		return true
	}
	w.WriteHeader(http.StatusOK)
	return true
}

func (s *Server) pause(r *http.Request, ns, name, verb string) error {
	for _, v := range []string{ns, name} {
		if err := checkPathSegment(v); err != nil {
			return err
		}
	}
	if r.Method != http.MethodPut {
		return methodNotAllowed(r.Method, verb)
	}
	opts, err := s.readPauseOptions(r)
	if err != nil {
		return err
	}
	pauser, ok := s.cfg.Node.(NodePauser)
	if !ok {
		return apierrors.NewServiceUnavailable("no node agent runs in this daemon")
	}
	vmi := &v1.VirtualMachineInstance{}
	if err := s.cfg.Store.Get(r.Context(), resource.VirtualMachineInstances, ns, name, vmi); err != nil {
		return err
	}
	if err := pauseRefusal(vmi, verb); err != nil {
		return err
	}
	if isDryRun(opts.DryRun) {
		return nil
	}
	s.log.Info("vmi "+verb, "vmi", vmiKey(ns, name), "uid", vmi.UID)
	if verb == "pause" {
		return pauser.Pause(r.Context(), ns, name)
	}
	return pauser.Unpause(r.Context(), ns, name)
}

// pauseRefusal applies KubeVirt's rules to the stored VMI, with one
// difference: a guestAgentPing liveness probe does not refuse a pause (it
// is answered for the guest while the VMI is paused, as a paused start
// allows). Pure.
func pauseRefusal(vmi *v1.VirtualMachineInstance, verb string) error {
	paused := vmiConditionTrue(vmi, v1.VirtualMachineInstancePaused)
	if verb == "unpause" {
		switch {
		case vmi.Status.Phase != v1.Running:
			return apierrors.NewConflict(kubevirtVMI, vmi.Name, errors.New(msgUnpauseNotRunning))
		case !paused:
			return apierrors.NewConflict(kubevirtVMI, vmi.Name, errors.New(msgNotPaused))
		}
		return nil
	}
	switch lp := vmi.Spec.LivenessProbe; {
	case vmi.Status.Phase != v1.Running:
		return apierrors.NewConflict(kubevirtVMI, vmi.Name, errors.New(msgPauseNotRunning))
	case lp != nil && lp.GuestAgentPing == nil:
		return apierrors.NewForbidden(kubevirtVMI, vmi.Name, errors.New(msgPauseLiveness))
	case paused:
		return apierrors.NewConflict(kubevirtVMI, vmi.Name, errors.New(msgAlreadyPaused))
	}
	return nil
}

func vmiConditionTrue(vmi *v1.VirtualMachineInstance, t v1.VirtualMachineInstanceConditionType) bool {
	for _, c := range vmi.Status.Conditions {
		if c.Type == t {
			return c.Status == corev1.ConditionTrue
		}
	}
	return false
}

// readPauseOptions reads an optional PauseOptions body.
func (s *Server) readPauseOptions(r *http.Request) (pauseOptions, error) {
	var opts pauseOptions
	body, err := s.readBody(r)
	if err != nil || len(body) == 0 {
		return opts, err
	}
	if err := json.Unmarshal(body, &opts); err != nil {
		return opts, apierrors.NewBadRequest("the request body is not a JSON object of pause options: " + err.Error())
	}
	return opts, nil
}

func isDryRun(v []string) bool {
	return len(v) > 0 && v[0] == metav1.DryRunAll
}
