package node

import (
	"context"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/api/resource"
	"k8s.io/apimachinery/pkg/util/validation/field"
	testclock "k8s.io/utils/clock/testing"

	v1 "vigil.dev/vigil/api/v1"
	"vigil.dev/vigil/internal/qemu"
)

func TestFollowReaderEndsWhenTheWriterIsGone(t *testing.T) {
	path := filepath.Join(t.TempDir(), "console.log")
	if err := os.WriteFile(path, []byte("boot\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	gone := make(chan struct{})
	clk := testclock.NewFakeClock(t0)
	r := &followReader{f: f, ctx: context.Background(), gone: gone, clock: clk}
	defer r.Close()
	buf := make([]byte, 64)
	if n, err := r.Read(buf); err != nil || string(buf[:n]) != "boot\n" {
		t.Fatalf("first read %q %v", buf[:n], err)
	}
	got := make(chan string)
	go func() {
		b, _ := io.ReadAll(r)
		got <- string(b)
	}()
	// The reader waits at the end of the file; more output, then QEMU ends.
	for !clk.HasWaiters() {
		time.Sleep(time.Millisecond)
	}
	if err := os.WriteFile(path, []byte("boot\nlast words\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	close(gone)
	select {
	case s := <-got:
		if s != "last words\n" {
			t.Errorf("rest %q, want the last words", s)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the reader did not end after the writer was gone")
	}
}

func TestRemoveAllButKeepsTheLogs(t *testing.T) {
	dir := t.TempDir()
	for _, name := range []string{qemu.ConsoleLog, qemu.QEMULog, cidataFile, "containerdisk-0.img", qemu.QMPSocket} {
		if err := os.WriteFile(filepath.Join(dir, name), nil, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	if err := removeAllBut(dir, qemu.ConsoleLog, qemu.QEMULog); err != nil {
		t.Fatal(err)
	}
	entries, _ := os.ReadDir(dir)
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	if !slices.Equal(names, []string{qemu.ConsoleLog, qemu.QEMULog}) {
		t.Errorf("left %v", names)
	}
	if err := removeAllBut(filepath.Join(dir, "missing"), qemu.ConsoleLog); err != nil {
		t.Errorf("a missing directory: %v", err)
	}
}

func TestHostDisk(t *testing.T) {
	dir := t.TempDir()
	p := field.NewPath("spec", "volumes").Index(0).Child("hostDisk")
	created := filepath.Join(dir, "new.img")
	vol, err := hostDisk(&v1.HostDisk{Path: created, Type: v1.HostDiskExistsOrCreate, Capacity: resource.MustParse("1Mi")}, p)
	if err != nil || vol.Format != qemu.FormatRaw {
		t.Fatalf("DiskOrCreate: %+v %v", vol, err)
	}
	if st, err := os.Stat(created); err != nil || st.Size() != 1<<20 {
		t.Fatalf("created file: %v %v", st, err)
	}
	qcow := filepath.Join(dir, "q.img")
	os.WriteFile(qcow, append([]byte{'Q', 'F', 'I', 0xfb}, make([]byte, 60)...), 0o600)
	if vol, err := hostDisk(&v1.HostDisk{Path: qcow, Type: v1.HostDiskExists}, p); err != nil || vol.Format != qemu.FormatQCOW2 {
		t.Errorf("qcow2 host disk: %+v %v", vol, err)
	}
	_, err = hostDisk(&v1.HostDisk{Path: filepath.Join(dir, "nope"), Type: v1.HostDiskExists}, p)
	if err == nil || !containsAll(err.Error(), "spec.volumes[0].hostDisk.path", "nope") {
		t.Errorf("missing disk: %v", err)
	}
}

func containsAll(s string, parts ...string) bool {
	for _, p := range parts {
		if !strings.Contains(s, p) {
			return false
		}
	}
	return true
}
