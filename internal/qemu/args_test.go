package qemu

import (
	"flag"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	v1 "vigil.dev/vigil/api/v1"
)

var update = flag.Bool("update", false, "rewrite testdata/*.golden from the current command lines")

const goldenBinary = "/usr/bin/qemu-system-x86_64"

// specFor builds a case's LaunchSpec, after checking that its VMI is one
// the API accepts (defaults applied first, as the API server does).
func specFor(t *testing.T, c argsCase, f files) *LaunchSpec {
	t.Helper()
	vmi := c.vmi(t)
	v1.SetDefaultsVirtualMachineInstance(vmi)
	if errs := v1.ValidateVirtualMachineInstance(vmi); len(errs) > 0 {
		t.Fatalf("the case's VMI is invalid: %v", errs.ToAggregate())
	}
	spec, err := SpecFromVMI(vmi, c.resolved(f))
	if err != nil {
		t.Fatalf("SpecFromVMI: %v", err)
	}
	return spec
}

// TestArgsGolden pins every command line to testdata/NAME.golden, one
// argument per line. Run `go test ./internal/qemu -run TestArgsGolden
// -update` after an intended change and review the diff.
func TestArgsGolden(t *testing.T) {
	for _, c := range argsCases {
		t.Run(c.name, func(t *testing.T) {
			args := specFor(t, c, goldenFiles).Args(goldenBinary)
			got := strings.Join(args, "\n") + "\n"
			path := filepath.Join("testdata", c.name+".golden")
			if *update {
				if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (run with -update to create it)", err)
			}
			if got != string(want) {
				t.Errorf("argv differs from %s (run with -update if intended):\n%s", path, lineDiff(string(want), got))
			}
		})
	}
}

// lineDiff lists the lines only in want (-) or only in got (+).
func lineDiff(want, got string) string {
	w, g := strings.Split(want, "\n"), strings.Split(got, "\n")
	var b strings.Builder
	for _, l := range w {
		if !slices.Contains(g, l) {
			b.WriteString("- " + l + "\n")
		}
	}
	for _, l := range g {
		if !slices.Contains(w, l) {
			b.WriteString("+ " + l + "\n")
		}
	}
	if b.Len() == 0 {
		return "(same lines, different order)"
	}
	return b.String()
}

func TestArgsDeterministic(t *testing.T) {
	for _, c := range argsCases {
		first := specFor(t, c, goldenFiles).Args(goldenBinary)
		for range 5 {
			if again := specFor(t, c, goldenFiles).Args(goldenBinary); !slices.Equal(first, again) {
				t.Fatalf("%s: argv changed between two builds:\n%q\n%q", c.name, first, again)
			}
		}
	}
}

// TestArgsFacts checks the properties other code relies on, whatever the
// golden files say.
func TestArgsFacts(t *testing.T) {
	spec := specFor(t, argsCases[0], goldenFiles)
	args := spec.Args(goldenBinary)
	wantPairs := [][2]string{
		{"-smbios", "type=11,value=" + UIDOEMString + string(testUID)},
		{"-uuid", string(testUID)},
		{"-pidfile", goldenFiles.runDir + "/qemu.pid"},
		{"-mon", "chardev=qmp,mode=control"},
		{"-accel", "tcg,tb-size=32"},
		{"-m", "128"},
		{"-action", "reboot=reset,shutdown=poweroff"},
	}
	for _, p := range wantPairs {
		if !hasPair(args, p[0], p[1]) {
			t.Errorf("argv lacks %s %s:\n%q", p[0], p[1], args)
		}
	}
	if !slices.Contains(args, "-S") {
		t.Errorf("argv lacks -S: Launch relies on stopped vCPUs")
	}

	kvm := specFor(t, argsCases[len(argsCases)-1], goldenFiles).Args(goldenBinary)
	if !hasPair(kvm, "-uuid", "0a1b2c3d-0000-4000-8000-00000000abcd") || !hasPair(kvm, "-smbios", "type=11,value="+UIDOEMString+string(testUID)) {
		t.Errorf("with a firmware uuid, -uuid must be it and the UID must stay in the OEM string:\n%q", kvm)
	}
	if !hasPair(kvm, "-smbios", "type=1,serial=SN,,42") {
		t.Errorf("the firmware serial's comma is not escaped:\n%q", kvm)
	}
}

func hasPair(args []string, flag, value string) bool {
	for i := 0; i+1 < len(args); i++ {
		if args[i] == flag && args[i+1] == value {
			return true
		}
	}
	return false
}

func TestTBSizeFor(t *testing.T) {
	for _, c := range []struct {
		mem  int64
		want int
	}{{16, 32}, {128, 32}, {129, 32}, {512, 128}, {1024, 256}, {4096, 256}} {
		if got := TBSizeFor(c.mem); got != c.want {
			t.Errorf("TBSizeFor(%d) = %d, want %d", c.mem, got, c.want)
		}
	}
}

func TestOptEscape(t *testing.T) {
	if got := optEscape("/a,b,,c"); got != "/a,,b,,,,c" {
		t.Errorf("optEscape = %q", got)
	}
}
