package v1

import (
	"testing"
)

func TestValidateVirtualMachineInstanceUpdate(t *testing.T) {
	base := func() *VirtualMachineInstance {
		vmi := validVMI()
		vmi.Spec.ReadinessProbe = pingProbe()
		SetDefaultsVirtualMachineInstance(vmi)
		return vmi
	}
	const forbidden = ": Forbidden: field is immutable: the spec of a VirtualMachineInstance cannot change " +
		"once it is created; change the VirtualMachine's template and restart it instead"
	cases := []struct {
		name   string
		mutate func(vmi *VirtualMachineInstance)
		want   []string
	}{{
		name:   "nothing changed",
		mutate: func(*VirtualMachineInstance) {},
	}, {
		name: "labels and annotations may change",
		mutate: func(vmi *VirtualMachineInstance) {
			vmi.Labels = map[string]string{"tier": "web"}
			vmi.Annotations = map[string]string{PauseGuestAgentProbesAnnotation: "true"}
		},
	}, {
		name:   "invalid new label",
		mutate: func(vmi *VirtualMachineInstance) { vmi.Labels = map[string]string{"tier": "-web"} },
		want: []string{`metadata.labels: Invalid value: "-web": a valid label must be an empty string or consist of ` +
			`alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character ` +
			`(e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')`},
	}, {
		name: "probes cannot change",
		mutate: func(vmi *VirtualMachineInstance) {
			vmi.Spec.ReadinessProbe.PeriodSeconds = 20
			vmi.Spec.LivenessProbe = pingProbe()
		},
		want: []string{
			"spec.livenessProbe: Forbidden: cannot be updated on a running VMI",
			"spec.readinessProbe: Forbidden: cannot be updated on a running VMI",
		},
	}, {
		name: "rest of the spec cannot change",
		mutate: func(vmi *VirtualMachineInstance) {
			vmi.Spec.Domain.Memory.Guest = quantity("1Gi")
			vmi.Spec.Volumes[0].ContainerDisk.Image = "other"
			vmi.Spec.Hostname = "renamed"
		},
		want: []string{"spec.domain" + forbidden, "spec.volumes" + forbidden, "spec.hostname" + forbidden},
	}, {
		name: "an equal quantity written differently is no change",
		mutate: func(vmi *VirtualMachineInstance) {
			vmi.Spec.Domain.Memory.Guest = quantity("134217728")
		},
	}}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			old, updated := base(), base()
			tc.mutate(updated)
			assertErrors(t, ValidateVirtualMachineInstanceUpdate(updated, old), tc.want)
		})
	}
}

func TestValidateVirtualMachineUpdate(t *testing.T) {
	old := validVM()
	updated := validVM()
	updated.Spec.Template.Spec.ReadinessProbe = pingProbe() // a VM's template may change
	if errs, _ := ValidateVirtualMachineUpdate(updated, old); len(errs) != 0 {
		t.Errorf("template change refused: %v", errs)
	}
	updated.Spec.RunStrategy = ptrTo(VirtualMachineRunStrategy("Never"))
	errs, _ := ValidateVirtualMachineUpdate(updated, old)
	if len(errs) != 1 || errs[0].Field != "spec.runStrategy" {
		t.Errorf("update errors = %v, want the create rules (spec.runStrategy)", errs)
	}
}
