package qemu

import (
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

func TestListRunDirs(t *testing.T) {
	base := t.TempDir()
	for _, id := range []Identity{
		{UID: "uid-b", Namespace: "ns", Name: "b"},
		{UID: "uid-a", Namespace: "ns", Name: "a"},
	} {
		dir := filepath.Join(base, string(id.UID))
		if err := os.Mkdir(dir, 0o700); err != nil {
			t.Fatal(err)
		}
		if err := writeIdentity(RunDir(dir), id); err != nil {
			t.Fatal(err)
		}
	}
	os.Mkdir(filepath.Join(base, "no-identity"), 0o700)
	os.WriteFile(filepath.Join(base, "a-file"), nil, 0o600)

	got, err := ListRunDirs(base)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[0].UID != "uid-a" || got[1].UID != "uid-b" || got[0].Dir != filepath.Join(base, "uid-a") {
		t.Errorf("ListRunDirs = %+v, want uid-a then uid-b", got)
	}
	if got, err := ListRunDirs(filepath.Join(base, "missing")); err != nil || got != nil {
		t.Errorf("missing base: %v, %v; want none", got, err)
	}
}

func TestPidfileAndProcessChecks(t *testing.T) {
	d := RunDir(t.TempDir())
	if _, err := readPidfile(d); !errors.Is(err, ErrNotRunning) {
		t.Errorf("no pidfile: %v, want ErrNotRunning", err)
	}
	os.WriteFile(d.PIDFile(), []byte("garbage\n"), 0o600)
	if _, err := readPidfile(d); !errors.Is(err, ErrNotRunning) || !strings.Contains(err.Error(), "garbage") {
		t.Errorf("garbage pidfile: %v, want ErrNotRunning quoting it", err)
	}
	// This test binary is alive but is no QEMU.
	os.WriteFile(d.PIDFile(), []byte(strconv.Itoa(os.Getpid())+"\n"), 0o600)
	if _, err := findProcess(d, testUID); !errors.Is(err, ErrNotRunning) || !strings.Contains(err.Error(), "not qemu") {
		t.Errorf("pidfile naming a non-qemu process: %v, want ErrNotRunning", err)
	}
	for name, want := range map[string]bool{
		"/usr/bin/qemu-system-x86_64": true, "qemu-system-aarch64": true, "/usr/libexec/qemu-kvm": true,
		"/tmp/qemu.test": false, "/usr/bin/qemu-img": false, "bash": false,
	} {
		if isQEMUName(name) != want {
			t.Errorf("isQEMUName(%q) = %t, want %t", name, !want, want)
		}
	}
}

func TestCleanupWithoutQEMU(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "vmi")
	d := RunDir(dir)
	os.Mkdir(dir, 0o700)
	writeIdentity(d, Identity{UID: testUID, Namespace: "ns", Name: "vm"})
	for _, f := range []string{d.QMP(), d.PIDFile(), d.ConsoleLog(), d.QEMULog()} {
		os.WriteFile(f, []byte("x"), 0o600)
	}
	if err := Cleanup(dir, true); err != nil {
		t.Fatal(err)
	}
	entries, _ := os.ReadDir(dir)
	var left []string
	for _, e := range entries {
		left = append(left, e.Name())
	}
	if strings.Join(left, " ") != "console.log qemu.log" {
		t.Errorf("left after cleanup keeping logs: %q", left)
	}
	if err := Cleanup(dir, false); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(dir); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("run dir left after full cleanup: %v", err)
	}
	if err := Cleanup(dir, false); err != nil {
		t.Errorf("cleanup of a missing dir: %v", err)
	}
}
