package images

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"testing"
	"time"
)

var testNow = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

func newStore(t *testing.T) *Store {
	t.Helper()
	s, err := Open(filepath.Join(t.TempDir(), "images"))
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	s.now = func() time.Time { return testNow }
	return s
}

func needQemuImg(t *testing.T) {
	t.Helper()
	if _, err := exec.LookPath("qemu-img"); err != nil {
		t.Skip("qemu-img is not installed (Debian: qemu-utils)")
	}
}

func qemuImg(t *testing.T, args ...string) []byte {
	t.Helper()
	out, err := exec.Command("qemu-img", args...).CombinedOutput()
	if err != nil {
		t.Fatalf("qemu-img %v: %v\n%s", args, err, out)
	}
	return out
}

// makeQcow2 creates a qcow2 file of the given virtual size with some data.
func makeQcow2(t *testing.T, size string) string {
	t.Helper()
	needQemuImg(t)
	p := filepath.Join(t.TempDir(), "src.qcow2")
	qemuImg(t, "create", "-q", "-f", "qcow2", p, size)
	return p
}

func writeFile(t *testing.T, name string, data []byte) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func sha(t *testing.T, path string) string {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(data)
	return hex.EncodeToString(sum[:])
}

// storeEntries lists the store directory without the lock directory.
func storeEntries(t *testing.T, s *Store) []string {
	t.Helper()
	entries, err := os.ReadDir(s.Dir())
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		if e.Name() != locksDir {
			names = append(names, e.Name())
		}
	}
	return names
}

func imageNames(t *testing.T, s *Store) []string {
	t.Helper()
	imgs, err := s.List()
	if err != nil {
		t.Fatalf("List: %v", err)
	}
	var names []string
	for _, img := range imgs {
		names = append(names, img.Name)
	}
	return names
}

// checkStored asserts that img's files are on disk, read-only, with the
// recorded digests, and that image.json says what img says.
func checkStored(t *testing.T, img *Image) {
	t.Helper()
	for _, f := range img.Files {
		st, err := os.Stat(img.Path(f.Name))
		if err != nil {
			t.Fatalf("stored file: %v", err)
		}
		if st.Mode().Perm() != fileMode || st.Size() != f.Size || sha(t, img.Path(f.Name)) != f.SHA256 {
			t.Errorf("%s: mode %v size %d; recorded size %d sha %s", f.Name, st.Mode().Perm(), st.Size(), f.Size, f.SHA256)
		}
	}
	data, err := os.ReadFile(img.Path(MetaFile))
	if err != nil {
		t.Fatal(err)
	}
	var onDisk Image
	if err := json.Unmarshal(data, &onDisk); err != nil {
		t.Fatal(err)
	}
	onDisk.Dir = img.Dir
	a, _ := json.Marshal(onDisk)
	b, _ := json.Marshal(img)
	if !bytes.Equal(a, b) || !slices.Equal(onDisk.Files, img.Files) {
		t.Errorf("image.json = %s, want %s", a, b)
	}
}
