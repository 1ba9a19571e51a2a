package apiserver

import (
	"encoding/json"
	"net/http"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"

	v1 "vigil.dev/vigil/api/v1"
	vmctl "vigil.dev/vigil/internal/controller/vm"
	"vigil.dev/vigil/internal/registry"
	"vigil.dev/vigil/internal/resource"
)

// vmAction is one of KubeVirt's VM subresources: it changes the VM's run
// strategy or queues a state change request, or refuses with a Conflict.
type vmAction func(vm *v1.VirtualMachine, vmi *v1.VirtualMachineInstance, now time.Time) error

var vmActions = map[string]vmAction{
	"start":   vmctl.Start,
	"stop":    vmctl.Stop,
	"restart": vmctl.Restart,
}

// serveKubeVirtSubresource serves /apis/subresources.kubevirt.io/v1/...
// (segs is the rest of the path): healthz, and PUT
// namespaces/NS/virtualmachines/NAME/{start,stop,restart}.
func (s *Server) serveKubeVirtSubresource(w http.ResponseWriter, r *http.Request, segs []string) {
	if len(segs) == 1 && segs[0] == "healthz" {
		s.serveLive(w, r)
		return
	}
	if len(segs) != 5 || segs[0] != "namespaces" || segs[2] != resource.VirtualMachines.Resource {
		s.writeError(w, r, errNoRoute())
		return
	}
	ns, name, verb := segs[1], segs[3], segs[4]
	action, ok := vmActions[verb]
	if !ok {
		s.writeError(w, r, errNoRoute())
		return
	}
	for _, v := range []string{ns, name} {
		if err := checkPathSegment(v); err != nil {
			s.writeError(w, r, err)
			return
		}
	}
	if r.Method != http.MethodPut {
		s.writeError(w, r, apierrors.NewMethodNotSupported(resource.VirtualMachines.GroupResource(), r.Method+" "+verb))
		return
	}
	if err := s.readOptions(r); err != nil {
		s.writeError(w, r, err)
		return
	}
	if err := s.applyVMAction(r, ns, name, action); err != nil {
		if apierrors.IsNotFound(err) {
			// KubeVirt names the resource in the singular here.
			err = apierrors.NewNotFound(schema.GroupResource{Group: v1.GroupName, Resource: "virtualmachine"}, name)
		}
		s.writeError(w, r, err)
		return
	}
	// KubeVirt answers 202 with an empty body.
	w.WriteHeader(http.StatusAccepted)
}

// readOptions accepts an optional Start/Stop/RestartOptions body: any valid
// JSON object is taken and its fields are ignored (vigil's requests carry
// no options; KubeVirt clients send dryRun or gracePeriod).
func (s *Server) readOptions(r *http.Request) error {
	body, err := s.readBody(r)
	if err != nil {
		return err
	}
	if len(body) == 0 {
		return nil
	}
	var opts map[string]any
	if err := json.Unmarshal(body, &opts); err != nil {
		return apierrors.NewBadRequest("the request body is not a JSON object of options: " + err.Error())
	}
	return nil
}

// applyVMAction runs the action on the current VM and its VMI (read again
// on every retry) and stores the result; generation moves when the action
// changed the spec (the run strategy).
func (s *Server) applyVMAction(r *http.Request, ns, name string, action vmAction) error {
	ctx := r.Context()
	res := resource.VirtualMachines
	into := res.New()
	return s.cfg.Store.GuaranteedUpdate(ctx, res, ns, name, into, func(current runtime.Object) (runtime.Object, error) {
		old, ok := current.(*v1.VirtualMachine)
		if !ok {
			return nil, apierrors.NewInternalError(errUnexpectedType(current))
		}
		vmi := &v1.VirtualMachineInstance{}
		switch err := s.cfg.Store.Get(ctx, resource.VirtualMachineInstances, ns, name, vmi); {
		case apierrors.IsNotFound(err):
			vmi = nil
		case err != nil:
			return nil, err
		}
		vm := old.DeepCopy()
		if err := action(vm, vmi, s.now()); err != nil {
			return nil, err
		}
		if err := registry.UpdateGeneration(res, vm, old); err != nil {
			return nil, apierrors.NewInternalError(err)
		}
		return vm, nil
	})
}
