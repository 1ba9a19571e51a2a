package v1

import (
	"testing"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	"k8s.io/apimachinery/pkg/util/intstr"
)

func TestSetDefaultsProbe(t *testing.T) {
	cases := []struct {
		name string
		in   Probe
		want Probe
	}{{
		name: "empty timing gets kubelet defaults",
		in:   Probe{Handler: Handler{GuestAgentPing: &GuestAgentPing{}}},
		want: Probe{Handler: Handler{GuestAgentPing: &GuestAgentPing{}},
			TimeoutSeconds: 1, PeriodSeconds: 10, SuccessThreshold: 1, FailureThreshold: 3},
	}, {
		name: "set values stay",
		in: Probe{Handler: Handler{GuestAgentPing: &GuestAgentPing{}}, InitialDelaySeconds: 120,
			TimeoutSeconds: 10, PeriodSeconds: 20, SuccessThreshold: 3, FailureThreshold: 5},
		want: Probe{Handler: Handler{GuestAgentPing: &GuestAgentPing{}}, InitialDelaySeconds: 120,
			TimeoutSeconds: 10, PeriodSeconds: 20, SuccessThreshold: 3, FailureThreshold: 5},
	}, {
		name: "negative values stay for validation to report",
		in: Probe{Handler: Handler{GuestAgentPing: &GuestAgentPing{}},
			TimeoutSeconds: -1, PeriodSeconds: -2, SuccessThreshold: -3, FailureThreshold: -4},
		want: Probe{Handler: Handler{GuestAgentPing: &GuestAgentPing{}},
			TimeoutSeconds: -1, PeriodSeconds: -2, SuccessThreshold: -3, FailureThreshold: -4},
	}, {
		name: "httpGet path and scheme",
		in:   Probe{Handler: Handler{HTTPGet: &corev1.HTTPGetAction{Port: intstr.FromInt32(80)}}},
		want: Probe{Handler: Handler{HTTPGet: &corev1.HTTPGetAction{Port: intstr.FromInt32(80),
			Path: "/", Scheme: corev1.URISchemeHTTP}},
			TimeoutSeconds: 1, PeriodSeconds: 10, SuccessThreshold: 1, FailureThreshold: 3},
	}, {
		name: "httpGet path and scheme kept",
		in: Probe{Handler: Handler{HTTPGet: &corev1.HTTPGetAction{Port: intstr.FromInt32(80),
			Path: "/healthz", Scheme: corev1.URISchemeHTTPS}}},
		want: Probe{Handler: Handler{HTTPGet: &corev1.HTTPGetAction{Port: intstr.FromInt32(80),
			Path: "/healthz", Scheme: corev1.URISchemeHTTPS}},
			TimeoutSeconds: 1, PeriodSeconds: 10, SuccessThreshold: 1, FailureThreshold: 3},
	}}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			for _, probe := range []string{"readiness", "liveness"} {
				vmi := validVMI()
				p := tc.in
				if probe == "readiness" {
					vmi.Spec.ReadinessProbe = &p
				} else {
					vmi.Spec.LivenessProbe = &p
				}
				SetDefaultsVirtualMachineInstance(vmi)
				if !equality.Semantic.DeepEqual(p, tc.want) {
					t.Errorf("%s probe: got %+v, want %+v", probe, p, tc.want)
				}
			}
		})
	}
}

func TestSetDefaultsSpec(t *testing.T) {
	vmi := validVMI()
	vmi.Spec.Domain.Devices.Watchdog = &Watchdog{Name: "wd", WatchdogDevice: WatchdogDevice{I6300ESB: &I6300ESBWatchdog{}}}
	SetDefaultsVirtualMachineInstance(vmi)
	s := vmi.Spec
	if got := s.Domain.Devices.Watchdog.I6300ESB.Action; got != WatchdogActionReset {
		t.Errorf("watchdog action = %q, want reset", got)
	}
	if g := s.TerminationGracePeriodSeconds; g == nil || *g != 30 {
		t.Errorf("terminationGracePeriodSeconds = %v, want 30", g)
	}
	if m := s.Domain.Memory; m == nil || m.Guest == nil || m.Guest.String() != "128Mi" {
		t.Errorf("memory.guest = %v, want 128Mi", m)
	}
	if s.Domain.CPU != nil {
		t.Errorf("cpu = %+v, want nil: the node decides", s.Domain.CPU)
	}
	wantNets := []Network{{Name: "default", NetworkSource: NetworkSource{Pod: &PodNetwork{}}}}
	wantIfaces := []Interface{{Name: "default",
		InterfaceBindingMethod: InterfaceBindingMethod{Masquerade: &InterfaceMasquerade{}}}}
	if !equality.Semantic.DeepEqual(s.Networks, wantNets) ||
		!equality.Semantic.DeepEqual(s.Domain.Devices.Interfaces, wantIfaces) {
		t.Errorf("networks %+v, interfaces %+v; want the default pod network with masquerade", s.Networks, s.Domain.Devices.Interfaces)
	}
}

func TestSetDefaultsLeavesChosenValues(t *testing.T) {
	vmi := validVMI()
	vmi.Spec.Domain.Devices.Watchdog = &Watchdog{Name: "wd"} // no device: validation's job
	vmi.Spec.TerminationGracePeriodSeconds = ptrTo(int64(0))
	vmi.Spec.Domain.Resources.Requests = corev1.ResourceList{corev1.ResourceMemory: *quantity("1Gi")}
	vmi.Spec.Networks = []Network{{Name: "net", NetworkSource: NetworkSource{Pod: &PodNetwork{}}}}
	SetDefaultsVirtualMachineInstance(vmi)
	s := vmi.Spec
	if s.Domain.Devices.Watchdog.I6300ESB != nil {
		t.Errorf("a watchdog without device got one: %+v", s.Domain.Devices.Watchdog)
	}
	if *s.TerminationGracePeriodSeconds != 0 {
		t.Errorf("terminationGracePeriodSeconds 0 changed to %d", *s.TerminationGracePeriodSeconds)
	}
	if s.Domain.Memory != nil {
		t.Errorf("memory.guest set although requests.memory is: %+v", s.Domain.Memory)
	}
	if len(s.Networks) != 1 || len(s.Domain.Devices.Interfaces) != 0 {
		t.Errorf("networks changed although one was declared: %+v / %+v", s.Networks, s.Domain.Devices.Interfaces)
	}
	vmi = validVMI()
	vmi.Spec.Domain.Memory = &Memory{Guest: quantity("2Gi")}
	SetDefaultsVirtualMachineInstance(vmi)
	if got := vmi.Spec.Domain.Memory.Guest.String(); got != "2Gi" {
		t.Errorf("memory.guest = %s, want 2Gi", got)
	}
}

func TestSetDefaultsVirtualMachine(t *testing.T) {
	vm := validVM()
	vm.Spec.Template.Spec.ReadinessProbe = &Probe{Handler: Handler{GuestAgentPing: &GuestAgentPing{}}}
	SetDefaultsVirtualMachine(vm)
	if p := vm.Spec.Template.Spec.ReadinessProbe; p.PeriodSeconds != 10 || p.TimeoutSeconds != 1 {
		t.Errorf("template probe not defaulted: %+v", p)
	}
	if vm.Spec.Running != nil || *vm.Spec.RunStrategy != RunStrategyAlways {
		t.Errorf("run strategy changed: running %v, runStrategy %v", vm.Spec.Running, *vm.Spec.RunStrategy)
	}
	SetDefaultsVirtualMachine(&VirtualMachine{}) // no template: nothing to do, no panic
}

func TestSetDefaultsIsIdempotent(t *testing.T) {
	vm := validVM()
	s := &vm.Spec.Template.Spec
	s.ReadinessProbe = &Probe{Handler: Handler{HTTPGet: &corev1.HTTPGetAction{Port: intstr.FromInt32(80)}}}
	s.LivenessProbe = &Probe{Handler: Handler{TCPSocket: &corev1.TCPSocketAction{Port: intstr.FromInt32(22)}}}
	s.Domain.Devices.Watchdog = &Watchdog{Name: "wd", WatchdogDevice: WatchdogDevice{I6300ESB: &I6300ESBWatchdog{}}}
	SetDefaultsVirtualMachine(vm)
	once := vm.DeepCopy()
	SetDefaultsVirtualMachine(vm)
	if !equality.Semantic.DeepEqual(once, vm) {
		t.Errorf("second defaulting changed the VM:\nonce:  %+v\ntwice: %+v", once.Spec.Template.Spec, vm.Spec.Template.Spec)
	}
	if errs, _ := ValidateVirtualMachine(vm); len(errs) != 0 {
		t.Errorf("defaulted VM invalid: %v", errs)
	}
}
