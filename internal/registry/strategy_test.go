package registry

import (
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"

	v1 "vigil.dev/vigil/api/v1"
	"vigil.dev/vigil/internal/resource"
)

var now = time.Date(2026, 3, 4, 5, 6, 7, 0, time.UTC)

func vm(name string) *v1.VirtualMachine {
	halted := v1.RunStrategyHalted
	return &v1.VirtualMachine{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "default"},
		Spec: v1.VirtualMachineSpec{
			RunStrategy: &halted,
			Template: &v1.VirtualMachineInstanceTemplateSpec{Spec: v1.VirtualMachineInstanceSpec{
				Domain: v1.DomainSpec{Firmware: &v1.Firmware{KernelBoot: &v1.KernelBoot{Container: &v1.KernelBootContainer{Image: "tiny"}}}},
			}},
		},
	}
}

// stored is what the store would hold after a create: defaulted, with the
// server's fields.
func stored(obj *v1.VirtualMachine) *v1.VirtualMachine {
	obj = obj.DeepCopy()
	v1.SetDefaultsVirtualMachine(obj)
	obj.UID = "uid-1"
	obj.ResourceVersion = "5"
	obj.CreationTimestamp = metav1.NewTime(now)
	return obj
}

func TestBeforeCreateClearsServerFieldsAndDefaults(t *testing.T) {
	obj := vm("a")
	obj.UID = "client-chosen"
	obj.ResourceVersion = "99"
	obj.Generation = 7
	obj.DeletionTimestamp = &metav1.Time{Time: now}
	obj.Status.PrintableStatus = v1.VirtualMachineStatusRunning
	warnings, err := BeforeCreate(resource.VirtualMachines, obj, now)
	if err != nil || len(warnings) != 0 {
		t.Fatalf("BeforeCreate: %v %v", warnings, err)
	}
	if obj.UID != "" || obj.ResourceVersion != "" || obj.Generation != 1 || obj.DeletionTimestamp != nil {
		t.Errorf("server fields kept: %+v", obj.ObjectMeta)
	}
	if obj.Status.PrintableStatus != "" {
		t.Errorf("status kept: %+v", obj.Status)
	}
	if g := obj.Spec.Template.Spec.TerminationGracePeriodSeconds; g == nil || *g != 30 {
		t.Errorf("defaults not applied: grace %v", g)
	}
}

func TestBeforeCreateWarnsAndRefuses(t *testing.T) {
	obj := vm("a")
	running := true
	obj.Spec.Running = &running
	obj.Spec.RunStrategy = nil
	warnings, err := BeforeCreate(resource.VirtualMachines, obj, now)
	if err != nil || len(warnings) != 1 || !strings.Contains(warnings[0], "spec.running is deprecated") {
		t.Errorf("running: warnings %v err %v", warnings, err)
	}

	bad := vm("Not_A_Name")
	bad.OwnerReferences = []metav1.OwnerReference{{Name: "x"}}
	_, err = BeforeCreate(resource.VirtualMachines, bad, now)
	se, ok := err.(*apierrors.StatusError)
	if !ok || se.ErrStatus.Code != 422 {
		t.Fatalf("want a 422, got %v", err)
	}
	fields := map[string]bool{}
	for _, c := range se.ErrStatus.Details.Causes {
		fields[c.Field] = true
	}
	if !fields["metadata.name"] || !fields["metadata.ownerReferences[0].apiVersion"] {
		t.Errorf("causes %+v", se.ErrStatus.Details.Causes)
	}
}

func TestVMICreateIsPending(t *testing.T) {
	vmi := &v1.VirtualMachineInstance{ObjectMeta: metav1.ObjectMeta{Name: "i", Namespace: "default"}}
	vmi.Spec = vm("x").Spec.Template.Spec
	vmi.Status = v1.VirtualMachineInstanceStatus{Phase: v1.Running, NodeName: "n"}
	if _, err := BeforeCreate(resource.VirtualMachineInstances, vmi, now); err != nil {
		t.Fatal(err)
	}
	want := []v1.VirtualMachineInstancePhaseTransitionTimestamp{{Phase: v1.Pending, PhaseTransitionTimestamp: metav1.NewTime(now)}}
	if vmi.Status.Phase != v1.Pending || vmi.Status.NodeName != "" || len(vmi.Status.PhaseTransitionTimestamps) != 1 ||
		vmi.Status.PhaseTransitionTimestamps[0] != want[0] {
		t.Errorf("status %+v", vmi.Status)
	}
}

func TestBeforeUpdate(t *testing.T) {
	old := stored(vm("a"))
	old.Generation = 3
	old.Status.PrintableStatus = v1.VirtualMachineStatusStopped
	cases := []struct {
		name    string
		change  func(*v1.VirtualMachine)
		wantGen int64
		wantErr string
	}{
		{"labels only", func(o *v1.VirtualMachine) { o.Labels = map[string]string{"a": "b"} }, 3, ""},
		{"status ignored", func(o *v1.VirtualMachine) { o.Status.PrintableStatus = v1.VirtualMachineStatusRunning }, 3, ""},
		{"spec change", func(o *v1.VirtualMachine) { s := v1.RunStrategyAlways; o.Spec.RunStrategy = &s }, 4, ""},
		{"client generation ignored", func(o *v1.VirtualMachine) { o.Generation = 100 }, 3, ""},
		{"uid omitted", func(o *v1.VirtualMachine) { o.UID = "" }, 3, ""},
		{"uid changed", func(o *v1.VirtualMachine) { o.UID = "other" }, 3, "metadata.uid"},
		{"renamed", func(o *v1.VirtualMachine) { o.Name = "b" }, 3, "metadata.name"},
		{"bad strategy", func(o *v1.VirtualMachine) { s := v1.VirtualMachineRunStrategy("Nope"); o.Spec.RunStrategy = &s }, 4, "spec.runStrategy"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			obj := old.DeepCopy()
			c.change(obj)
			_, err := BeforeUpdate(resource.VirtualMachines, obj, old)
			if c.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), c.wantErr) {
					t.Fatalf("want an error about %s, got %v", c.wantErr, err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if obj.Generation != c.wantGen || obj.Status.PrintableStatus != v1.VirtualMachineStatusStopped || obj.UID != old.UID {
				t.Errorf("generation %d (want %d), status %q, uid %q", obj.Generation, c.wantGen, obj.Status.PrintableStatus, obj.UID)
			}
		})
	}
}

func TestBeforeStatusUpdateChangesOnlyStatus(t *testing.T) {
	old := stored(vm("a"))
	obj := old.DeepCopy()
	obj.ResourceVersion = "5"
	obj.Labels = map[string]string{"sneaky": "yes"}
	obj.Spec.Template = nil
	obj.Status.PrintableStatus = v1.VirtualMachineStatusRunning
	if err := BeforeStatusUpdate(resource.VirtualMachines, obj, old); err != nil {
		t.Fatal(err)
	}
	if obj.Labels != nil || obj.Spec.Template == nil || obj.Status.PrintableStatus != v1.VirtualMachineStatusRunning || obj.ResourceVersion != "5" {
		t.Errorf("after status update: labels %v template %v status %q rv %q", obj.Labels, obj.Spec.Template, obj.Status.PrintableStatus, obj.ResourceVersion)
	}
	ep := &corev1.Endpoints{}
	if err := BeforeStatusUpdate(resource.Endpoints, ep, ep.DeepCopy()); !apierrors.IsNotFound(err) {
		t.Errorf("endpoints have no status: %v", err)
	}
}

func TestEventGenerationCountsEverythingButMetadata(t *testing.T) {
	old := &corev1.Event{ObjectMeta: metav1.ObjectMeta{Name: "e", Generation: 1}, Reason: "A"}
	same := old.DeepCopy()
	same.Labels = map[string]string{"x": "y"}
	if err := UpdateGeneration(resource.Events, same, old); err != nil || same.Generation != 1 {
		t.Errorf("metadata change: generation %d %v", same.Generation, err)
	}
	changed := old.DeepCopy()
	changed.Count = 2
	if err := UpdateGeneration(resource.Events, changed, old); err != nil || changed.Generation != 2 {
		t.Errorf("count change: generation %d %v", changed.Generation, err)
	}
}

func TestServiceValidation(t *testing.T) {
	base := func() *corev1.Service {
		return &corev1.Service{
			ObjectMeta: metav1.ObjectMeta{Name: "web", Namespace: "default"},
			Spec: corev1.ServiceSpec{
				Selector: map[string]string{"app": "web"},
				Ports:    []corev1.ServicePort{{Port: 80}},
			},
		}
	}
	cases := []struct {
		name   string
		change func(*corev1.Service)
		fields []string
	}{
		{"valid", func(*corev1.Service) {}, nil},
		{"port out of range", func(s *corev1.Service) { s.Spec.Ports[0].Port = 70000 }, []string{"spec.ports[0].port", "spec.ports[0].targetPort"}},
		{"protocol", func(s *corev1.Service) { s.Spec.Ports[0].Protocol = "ICMP" }, []string{"spec.ports[0].protocol"}},
		{"named target port", func(s *corev1.Service) { s.Spec.Ports[0].TargetPort = intstr.FromString("http") }, nil},
		{"bad target port name", func(s *corev1.Service) { s.Spec.Ports[0].TargetPort = intstr.FromString("-x-") }, []string{"spec.ports[0].targetPort"}},
		{"selector label", func(s *corev1.Service) { s.Spec.Selector = map[string]string{"app": "no spaces"} }, []string{"spec.selector"}},
		{"two unnamed ports", func(s *corev1.Service) { s.Spec.Ports = append(s.Spec.Ports, corev1.ServicePort{Port: 81}) },
			[]string{"spec.ports[0].name", "spec.ports[1].name"}},
		{"duplicate names", func(s *corev1.Service) {
			s.Spec.Ports = []corev1.ServicePort{{Name: "a", Port: 80}, {Name: "a", Port: 81}}
		}, []string{"spec.ports[1].name"}},
		{"name not DNS-1035", func(s *corev1.Service) { s.Name = "1web" }, []string{"metadata.name"}},
		{"no ports", func(s *corev1.Service) { s.Spec.Ports = nil }, []string{"spec.ports"}},
		{"type", func(s *corev1.Service) { s.Spec.Type = "Magic" }, []string{"spec.type"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			svc := base()
			c.change(svc)
			_, err := BeforeCreate(resource.Services, svc, now)
			got := causeFields(t, err)
			if len(got) != len(c.fields) {
				t.Fatalf("causes %v, want %v", got, c.fields)
			}
			for _, f := range c.fields {
				if !got[f] {
					t.Errorf("no cause for %s in %v", f, got)
				}
			}
		})
	}
}

func TestEndpointsValidation(t *testing.T) {
	ep := &corev1.Endpoints{
		ObjectMeta: metav1.ObjectMeta{Name: "web", Namespace: "default"},
		Subsets: []corev1.EndpointSubset{{
			Addresses: []corev1.EndpointAddress{{IP: "10.0.0.1"}, {IP: "not-an-ip"}},
			Ports:     []corev1.EndpointPort{{Port: 80}, {Port: 0}},
		}},
	}
	got := causeFields(t, func() error { _, err := BeforeCreate(resource.Endpoints, ep, now); return err }())
	if len(got) != 2 || !got["subsets[0].addresses[1].ip"] || !got["subsets[0].ports[1].port"] {
		t.Errorf("causes %v", got)
	}
	if ep.Subsets[0].Ports[0].Protocol != corev1.ProtocolTCP {
		t.Errorf("protocol not defaulted: %q", ep.Subsets[0].Ports[0].Protocol)
	}
}

// causeFields is the set of fields a 422 names (empty for nil).
func causeFields(t *testing.T, err error) map[string]bool {
	t.Helper()
	got := map[string]bool{}
	if err == nil {
		return got
	}
	se, ok := err.(*apierrors.StatusError)
	if !ok || se.ErrStatus.Code != 422 {
		t.Fatalf("want a 422, got %v", err)
	}
	for _, c := range se.ErrStatus.Details.Causes {
		got[c.Field] = true
	}
	return got
}
