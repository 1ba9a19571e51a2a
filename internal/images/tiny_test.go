package images

import (
	"context"
	"errors"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	v1 "vigil.dev/vigil/api/v1"
	"vigil.dev/vigil/guest/image"
)

// TestBuildTiny builds the real tiny guest from the host's packages into
// the store (guest/image does the work; this checks what the store keeps).
func TestBuildTiny(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the tiny guest (compiles guest/init, compresses an initramfs): skipped with -short")
	}
	if raceEnabled {
		t.Skip("the race detector makes the initramfs compression take most of a minute; run without -race to build")
	}
	if _, err := exec.LookPath("go"); err != nil {
		t.Skip("no go tool to compile the guest's init")
	}
	s := newStore(t)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute) // real compile and compression
	defer cancel()
	logger := slog.New(slog.NewTextHandler(testWriter{t}, &slog.HandlerOptions{Level: slog.LevelWarn}))
	img, err := s.BuildTinyWith(ctx, "", image.Options{Logger: logger, ModuleDir: moduleRoot(t)})
	if errors.Is(err, image.ErrMissing) {
		t.Skipf("the host lacks what the tiny guest is built from: %v", err)
	}
	if err != nil {
		t.Fatalf("BuildTiny: %v", err)
	}
	if img.Name != TinyName || img.Kind != KindKernel || len(img.Files) != 2 || !strings.Contains(img.Source, "build tiny") {
		t.Errorf("image %+v", img)
	}
	checkStored(t, img)
	if _, err := image.ReadManifest(img.Dir); err != nil {
		t.Errorf("manifest kept with the image: %v", err)
	}
	kernel, initrd, err := s.ResolveKernelBoot(&v1.KernelBoot{Container: &v1.KernelBootContainer{Image: TinyName}})
	if err != nil || kernel != img.Path(KernelFile) || initrd != img.Path(InitrdFile) {
		t.Errorf("ResolveKernelBoot = %s, %s, %v", kernel, initrd, err)
	}
	if left := storeEntries(t, s); len(left) != 1 {
		t.Errorf("store holds %v, want only the image", left)
	}
}

func TestBuildTinyKeepsDiskImage(t *testing.T) {
	s := newStore(t)
	if _, err := s.Import(context.Background(), "tiny", writeFile(t, "d", bytes1K("d"))); err != nil {
		t.Fatal(err)
	}
	// The check comes before any build work, so no build inputs are needed.
	_, err := s.BuildTiny(context.Background(), "", nil)
	if !errors.Is(err, ErrExists) || !strings.Contains(err.Error(), "disk image") {
		t.Errorf("err = %v, want ErrExists about the disk image", err)
	}
	if img, err := s.Get("tiny"); err != nil || img.Kind != KindDisk {
		t.Errorf("the disk image changed: %+v, %v", img, err)
	}
}

type testWriter struct{ t *testing.T }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimSpace(string(p)))
	return len(p), nil
}

// moduleRoot is the repository root (two levels above this package).
func moduleRoot(t *testing.T) string {
	t.Helper()
	wd, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	return filepath.Dir(filepath.Dir(wd))
}
