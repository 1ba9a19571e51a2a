package images

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestImportQcow2(t *testing.T) {
	s := newStore(t)
	src := makeQcow2(t, "16M")
	img, err := s.Import(context.Background(), "fedora", src)
	if err != nil {
		t.Fatalf("Import: %v", err)
	}
	if img.Kind != KindDisk || img.Format != FormatQcow2 || img.VirtualSize != 16<<20 {
		t.Errorf("kind %s format %s virtual size %d", img.Kind, img.Format, img.VirtualSize)
	}
	if img.SHA256 != sha(t, src) || img.Source != src || !img.Created.Equal(testNow) {
		t.Errorf("sha %s source %s created %v", img.SHA256, img.Source, img.Created)
	}
	if img.DiskPath() != filepath.Join(s.Dir(), "fedora", "disk.qcow2") {
		t.Errorf("disk path %s", img.DiskPath())
	}
	checkStored(t, img)
	got, err := s.Get("fedora")
	if err != nil || got.SHA256 != img.SHA256 || got.Dir != img.Dir {
		t.Errorf("Get = %+v, %v", got, err)
	}
}

func TestImportRaw(t *testing.T) {
	s := newStore(t)
	data := bytes1K("raw disk ")
	img, err := s.Import(context.Background(), "scratch", writeFile(t, "disk.img", data))
	if err != nil {
		t.Fatalf("Import: %v", err)
	}
	if img.Format != FormatRaw || img.Size != int64(len(data)) || img.VirtualSize != int64(len(data)) {
		t.Errorf("format %s size %d virtual %d", img.Format, img.Size, img.VirtualSize)
	}
	checkStored(t, img)
	stored, _ := os.ReadFile(filepath.Join(s.Dir(), "scratch", "disk.raw"))
	if string(stored) != string(data) {
		t.Errorf("stored content differs")
	}
}

func bytes1K(pattern string) []byte {
	return []byte(strings.Repeat(pattern, 1024/len(pattern)+1)[:1024])
}

func TestImportRejectsAndLeavesNothing(t *testing.T) {
	s := newStore(t)
	needQemuImg(t)
	base := makeQcow2(t, "1M")
	child := filepath.Join(t.TempDir(), "child.qcow2")
	qemuImg(t, "create", "-q", "-f", "qcow2", "-F", "qcow2", "-b", base, child)
	cases := []struct{ name, file, want string }{
		{"empty", writeFile(t, "empty", nil), "is empty"},
		{"missing", filepath.Join(t.TempDir(), "nope"), "no such file"},
		{"backing", child, "has a backing file"},
		{"vmdk", writeFile(t, "x.vmdk", []byte("KDMV\x01\x00\x00\x00 rest")), "vmdk image is not supported"},
		{"gzip", writeFile(t, "x.gz", []byte("\x1f\x8b\x08\x00 rest")), "gzip-compressed image is not supported"},
	}
	for _, tc := range cases {
		_, err := s.Import(context.Background(), tc.name, tc.file)
		if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), tc.file) {
			t.Errorf("%s: err = %v, want one naming %s and saying %q", tc.name, err, tc.file, tc.want)
		}
	}
	if left := storeEntries(t, s); len(left) != 0 {
		t.Errorf("failed imports left %v", left)
	}
}

func TestImportExistingName(t *testing.T) {
	s := newStore(t)
	first, err := s.Import(context.Background(), "disk", writeFile(t, "a", bytes1K("a")))
	if err != nil {
		t.Fatal(err)
	}
	_, err = s.Import(context.Background(), "disk", writeFile(t, "b", bytes1K("b")))
	if !errors.Is(err, ErrExists) || !strings.Contains(err.Error(), `image "disk"`) {
		t.Errorf("second import: err = %v, want ErrExists naming the image", err)
	}
	_, err = s.ImportKernel(context.Background(), "disk", writeFile(t, "k", []byte("k")), writeFile(t, "i", []byte("i")))
	if !errors.Is(err, ErrExists) {
		t.Errorf("kernel import over a disk: err = %v, want ErrExists", err)
	}
	got, err := s.Get("disk")
	if err != nil || got.SHA256 != first.SHA256 {
		t.Errorf("the first image changed: %+v, %v", got, err)
	}
	checkStored(t, got)
}

func TestInvalidNames(t *testing.T) {
	s := newStore(t)
	for _, name := range []string{"", "Tiny", "a_b", "-x", strings.Repeat("a", 64), "../x"} {
		if _, err := s.Import(context.Background(), name, "/dev/null"); err == nil || !strings.Contains(err.Error(), "image name") {
			t.Errorf("Import(%q): err = %v", name, err)
		}
		if _, err := s.Get(name); err == nil || !strings.Contains(err.Error(), "image name") {
			t.Errorf("Get(%q): err = %v", name, err)
		}
	}
}

func TestListAndGetUnknown(t *testing.T) {
	s := newStore(t)
	_, err := s.Get("tiny")
	if !errors.Is(err, ErrNotFound) || !strings.Contains(err.Error(), "vigil image build tiny") {
		t.Errorf("empty store: err = %v", err)
	}
	for _, name := range []string{"zeta", "alpha"} {
		if _, err := s.Import(context.Background(), name, writeFile(t, name, bytes1K(name))); err != nil {
			t.Fatal(err)
		}
	}
	// Not images: a directory without image.json and a stray file.
	os.Mkdir(filepath.Join(s.Dir(), "junk"), 0o755)
	os.WriteFile(filepath.Join(s.Dir(), "notes"), []byte("x"), 0o644)
	if got := imageNames(t, s); !slices.Equal(got, []string{"alpha", "zeta"}) {
		t.Errorf("List = %v", got)
	}
	_, err = s.Get("beta")
	want := `image "beta": not found in ` + s.Dir() + ` (known images: alpha, zeta)`
	if !errors.Is(err, ErrNotFound) || err.Error() != want {
		t.Errorf("err = %v\nwant    %s", err, want)
	}
}

func TestImportKernel(t *testing.T) {
	s := newStore(t)
	k, i := writeFile(t, "vmlinuz-6.1", []byte("kernel bytes")), writeFile(t, "initrd.img", []byte("initrd bytes"))
	img, err := s.ImportKernel(context.Background(), "mykernel", k, i)
	if err != nil {
		t.Fatalf("ImportKernel: %v", err)
	}
	if img.Kind != KindKernel || img.Format != FormatKernel || img.Size != 24 || len(img.Files) != 2 {
		t.Errorf("image %+v", img)
	}
	if img.Files[0].Name != KernelFile || img.Files[1].Name != InitrdFile || img.Files[0].SHA256 != sha(t, k) {
		t.Errorf("files %+v", img.Files)
	}
	listing := writeFile(t, "sums", []byte(sha(t, k)+"  vmlinuz\n"+sha(t, i)+"  initrd\n"))
	if img.SHA256 != sha(t, listing) {
		t.Errorf("sha256 %s is not the digest of the file list", img.SHA256)
	}
	checkStored(t, img)
	if _, err := s.ImportKernel(context.Background(), "k2", k, writeFile(t, "empty", nil)); err == nil ||
		!strings.Contains(err.Error(), "import initrd") {
		t.Errorf("empty initrd: err = %v", err)
	}
}

func TestRemove(t *testing.T) {
	s := newStore(t)
	if _, err := s.Import(context.Background(), "gone", writeFile(t, "a", bytes1K("a"))); err != nil {
		t.Fatal(err)
	}
	if err := s.Remove("gone"); err != nil {
		t.Fatalf("Remove: %v", err)
	}
	if _, err := s.Get("gone"); !errors.Is(err, ErrNotFound) {
		t.Errorf("Get after Remove: %v", err)
	}
	if left := storeEntries(t, s); len(left) != 0 {
		t.Errorf("Remove left %v", left)
	}
	if err := s.Remove("gone"); !errors.Is(err, ErrNotFound) {
		t.Errorf("second Remove: %v", err)
	}
}

// TestAtomicImport fails an import after its files are staged: the image
// must not appear and the staging directory must be gone.
func TestAtomicImport(t *testing.T) {
	s := newStore(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	staged := false
	s.afterStage = func() {
		staged = len(storeEntries(t, s)) == 1 // the stage, with everything in it
		cancel()
	}
	_, err := s.Import(ctx, "half", writeFile(t, "a", bytes1K("a")))
	if !errors.Is(err, context.Canceled) || !staged {
		t.Fatalf("err = %v (staged %v), want context.Canceled after staging", err, staged)
	}
	if left := storeEntries(t, s); len(left) != 0 {
		t.Errorf("failed import left %v", left)
	}
	if _, err := s.Get("half"); !errors.Is(err, ErrNotFound) {
		t.Errorf("Get: %v", err)
	}
}

// TestImportWaitsForLock holds a name's lock through a second Store on the
// same directory, as another process would.
func TestImportWaitsForLock(t *testing.T) {
	s := newStore(t)
	other, err := Open(s.Dir())
	if err != nil {
		t.Fatal(err)
	}
	held, err := other.lock(context.Background(), "busy")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	src := writeFile(t, "a", bytes1K("a"))
	if _, err := s.Import(ctx, "busy", src); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("import while locked: err = %v, want DeadlineExceeded", err)
	}
	if left := storeEntries(t, s); len(left) != 0 {
		t.Errorf("blocked import left %v", left)
	}
	held.unlock()
	if _, err := s.Import(context.Background(), "busy", src); err != nil {
		t.Errorf("import after unlock: %v", err)
	}
}

func TestOpenClearsStaleStages(t *testing.T) {
	s := newStore(t)
	for _, d := range []string{".stage-foo-123", ".trash-foo-456", ".stage-bar-789"} {
		if err := os.Mkdir(filepath.Join(s.Dir(), d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	held, err := s.lock(context.Background(), "bar") // bar's writer is still at work
	if err != nil {
		t.Fatal(err)
	}
	defer held.unlock()
	if _, err := Open(s.Dir()); err != nil {
		t.Fatal(err)
	}
	if left := storeEntries(t, s); !slices.Equal(left, []string{".stage-bar-789"}) {
		t.Errorf("after Open: %v, want only the live stage", left)
	}
}

// TestReplaceSwapsWholeImage is the path BuildTiny takes over an older
// build: the new directory replaces the old one in one rename.
func TestReplaceSwapsWholeImage(t *testing.T) {
	s, old := kernelStore(t)
	k := writeFile(t, "k2", []byte("new kernel"))
	img, err := s.create(context.Background(), "tiny", true, func(st *stage) (*Image, error) {
		f, err := st.copyIn(context.Background(), k, KernelFile)
		return &Image{Kind: KindKernel, Format: FormatKernel, Files: []File{f}, Source: "test"}, err
	})
	if err != nil {
		t.Fatalf("replace: %v", err)
	}
	if img.SHA256 == old.SHA256 {
		t.Errorf("digest unchanged")
	}
	got, err := s.Get("tiny")
	if err != nil || got.SHA256 != img.SHA256 || len(got.Files) != 1 {
		t.Errorf("Get = %+v, %v", got, err)
	}
	if _, err := os.Stat(filepath.Join(got.Dir, InitrdFile)); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("a file of the old image survived: %v", err)
	}
	if left := storeEntries(t, s); !slices.Equal(left, []string{"tiny"}) {
		t.Errorf("store holds %v", left)
	}
}
