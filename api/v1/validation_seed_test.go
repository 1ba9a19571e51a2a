package v1

import (
	"os"
	"path/filepath"
	"slices"
	"testing"

	"sigs.k8s.io/yaml"
)

// The seed's manifests (testdata/seed, copied unmodified) leave out the
// boot disk. Each must decode without unknown fields, fail only for the
// missing boot source, and pass once one is added. watchdog.yaml still
// holds the seed's placeholders, which are reported where they are.

const bootSourceRequired = "spec.template.spec.volumes: Required value: a boot source is required: " +
	"add a volume with containerDisk.image (for example the tiny image built by `vigil image build tiny`) " +
	"or hostDisk, or set spec.template.spec.domain.firmware.kernelBoot.container.image"

func loadSeed(t *testing.T, name string) *VirtualMachine {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", "seed", name))
	if err != nil {
		t.Fatal(err)
	}
	vm := &VirtualMachine{}
	if err := yaml.UnmarshalStrict(data, vm); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return vm
}

func addBootDisk(vm *VirtualMachine) {
	vm.Spec.Template.Spec.Volumes = append(vm.Spec.Template.Spec.Volumes, Volume{
		Name:         "rootdisk",
		VolumeSource: VolumeSource{ContainerDisk: &ContainerDiskSource{Image: "tiny"}},
	})
}

func TestSeedProbeManifests(t *testing.T) {
	for _, name := range []string{
		"liveness-http.yaml", "readiness-guest-agent-ping.yaml", "readiness-http.yaml", "readiness-tcp.yaml",
	} {
		t.Run(name, func(t *testing.T) {
			vm := loadSeed(t, name)
			SetDefaultsVirtualMachine(vm)
			errs, warnings := ValidateVirtualMachine(vm)
			assertErrors(t, errs, []string{bootSourceRequired})
			if len(warnings) != 0 {
				t.Errorf("warnings = %q", warnings)
			}
			addBootDisk(vm)
			errs, _ = ValidateVirtualMachine(vm)
			assertErrors(t, errs, nil)
		})
	}
}

func TestSeedLivenessTimingIsKept(t *testing.T) {
	vm := loadSeed(t, "liveness-http.yaml")
	SetDefaultsVirtualMachine(vm)
	p := vm.Spec.Template.Spec.LivenessProbe
	got := []int32{p.InitialDelaySeconds, p.PeriodSeconds, p.TimeoutSeconds, p.SuccessThreshold, p.FailureThreshold}
	if want := []int32{120, 20, 10, 1, 3}; !slices.Equal(got, want) {
		t.Errorf("liveness timing = %v, want %v", got, want)
	}
	if p.HTTPGet.Path != "/healthz" || p.HTTPGet.HTTPHeaders[0].Name != "Custom-Header" {
		t.Errorf("httpGet = %+v", p.HTTPGet)
	}
}

func TestSeedWatchdogManifest(t *testing.T) {
	vm := loadSeed(t, "watchdog.yaml")
	SetDefaultsVirtualMachine(vm)
	errs, warnings := ValidateVirtualMachine(vm)
	assertErrors(t, errs, []string{
		`metadata.name: Invalid value: "<vm-name>": a lowercase RFC 1123 subdomain must consist of lower case ` +
			`alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character ` +
			`(e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')`,
		`spec.template.spec.domain.devices.watchdog.name: Invalid value: "<watchdog>": a lowercase RFC 1123 label ` +
			`must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric ` +
			`character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')`,
		bootSourceRequired,
	})
	if want := []string{RunningDeprecatedWarning}; !slices.Equal(warnings, want) {
		t.Errorf("warnings = %q, want %q", warnings, want)
	}

	// With the placeholders filled in and a boot disk, it is accepted.
	vm.Name = "vm2-rhel84-watchdog"
	vm.Spec.Template.Spec.Domain.Devices.Watchdog.Name = "mywatchdog"
	addBootDisk(vm)
	errs, _ = ValidateVirtualMachine(vm)
	assertErrors(t, errs, nil)
	if a := vm.Spec.Template.Spec.Domain.Devices.Watchdog.I6300ESB.Action; a != WatchdogActionPoweroff {
		t.Errorf("watchdog action = %q, want poweroff", a)
	}
}
