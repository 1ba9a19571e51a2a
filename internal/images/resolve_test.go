package images

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	v1 "vigil.dev/vigil/api/v1"
)

func kernelStore(t *testing.T) (*Store, *Image) {
	t.Helper()
	s := newStore(t)
	img, err := s.ImportKernel(context.Background(), "tiny",
		writeFile(t, "vmlinuz", []byte("kernel")), writeFile(t, "initrd", []byte("initrd")))
	if err != nil {
		t.Fatal(err)
	}
	return s, img
}

func TestResolveKernelBoot(t *testing.T) {
	s, img := kernelStore(t)
	if _, err := s.Import(context.Background(), "disk", writeFile(t, "d", bytes1K("d"))); err != nil {
		t.Fatal(err)
	}
	// A symlink inside the image that points out of it, and one that stays in.
	if err := os.Symlink("/etc/passwd", filepath.Join(img.Dir, "escape")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("vmlinuz", filepath.Join(img.Dir, "bzImage")); err != nil {
		t.Fatal(err)
	}
	kernel, initrd := filepath.Join(img.Dir, KernelFile), filepath.Join(img.Dir, InitrdFile)
	const kbPath = "spec.domain.firmware.kernelBoot.container."
	cases := []struct {
		name               string
		kb                 *v1.KernelBoot
		wantKernel, wantRd string
		wantErr            string
	}{
		{"defaults", &v1.KernelBoot{Container: &v1.KernelBootContainer{Image: "tiny"}}, kernel, initrd, ""},
		{"absolute paths inside the image",
			&v1.KernelBoot{Container: &v1.KernelBootContainer{Image: "tiny", KernelPath: "/vmlinuz", InitrdPath: "/initrd"}}, kernel, initrd, ""},
		{"symlink that stays inside",
			&v1.KernelBoot{Container: &v1.KernelBootContainer{Image: "tiny", KernelPath: "/bzImage"}}, kernel, initrd, ""},
		{"dot-dot", &v1.KernelBoot{Container: &v1.KernelBootContainer{Image: "tiny", KernelPath: "/../../etc/passwd"}},
			"", "", kbPath + `kernelPath: "/../../etc/passwd" must not contain ".."`},
		{"symlink out", &v1.KernelBoot{Container: &v1.KernelBootContainer{Image: "tiny", InitrdPath: "/escape"}},
			"", "", kbPath + `initrdPath: "/escape" leads out of image "tiny"`},
		{"missing file", &v1.KernelBoot{Container: &v1.KernelBootContainer{Image: "tiny", KernelPath: "/boot/vmlinuz"}},
			"", "", kbPath + `kernelPath: "/boot/vmlinuz" is not in image "tiny"`},
		{"a directory", &v1.KernelBoot{Container: &v1.KernelBootContainer{Image: "tiny", KernelPath: "/"}},
			"", "", kbPath + `kernelPath: "/" in image "tiny" is not a regular file`},
		{"unknown image", &v1.KernelBoot{Container: &v1.KernelBootContainer{Image: "nope"}},
			"", "", kbPath + `image: image "nope": not found`},
		{"disk image", &v1.KernelBoot{Container: &v1.KernelBootContainer{Image: "disk"}},
			"", "", kbPath + `image: image "disk" is a disk image, not a kernel image`},
		{"no container", &v1.KernelBoot{KernelArgs: "console=ttyS0"}, "", "", kbPath + "image: required"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			k, rd, err := s.ResolveKernelBoot(tc.kb)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err = %v, want one containing %q", err, tc.wantErr)
				}
				return
			}
			if err != nil || k != tc.wantKernel || rd != tc.wantRd {
				t.Errorf("got %s, %s, %v; want %s, %s", k, rd, err, tc.wantKernel, tc.wantRd)
			}
		})
	}
}

type qemuImgInfo struct {
	Format              string `json:"format"`
	VirtualSize         int64  `json:"virtual-size"`
	BackingFilename     string `json:"backing-filename"`
	FullBackingFilename string `json:"full-backing-filename"`
	BackingFormat       string `json:"backing-filename-format"`
}

func overlayInfo(t *testing.T, path string) qemuImgInfo {
	t.Helper()
	var info qemuImgInfo
	if err := json.Unmarshal(qemuImg(t, "info", "--output=json", path), &info); err != nil {
		t.Fatal(err)
	}
	return info
}

func TestPrepareContainerDiskOverlay(t *testing.T) {
	needQemuImg(t)
	s := newStore(t)
	q, err := s.Import(context.Background(), "q", makeQcow2(t, "8M"))
	if err != nil {
		t.Fatal(err)
	}
	r, err := s.Import(context.Background(), "r", writeFile(t, "raw", make([]byte, 1<<20)))
	if err != nil {
		t.Fatal(err)
	}
	for _, base := range []*Image{q, r} {
		overlay := filepath.Join(t.TempDir(), "overlay.qcow2")
		format, err := s.PrepareContainerDisk(context.Background(), base.Name, overlay)
		if err != nil || format != FormatQcow2 {
			t.Fatalf("%s: PrepareContainerDisk = %q, %v", base.Name, format, err)
		}
		info := overlayInfo(t, overlay)
		if info.Format != "qcow2" || info.BackingFilename != base.DiskPath() ||
			info.BackingFormat != base.Format || info.VirtualSize != base.VirtualSize {
			t.Errorf("%s: overlay %+v, want qcow2 on %s (%s, %d bytes)", base.Name, info, base.DiskPath(), base.Format, base.VirtualSize)
		}
		if _, err := s.PrepareContainerDisk(context.Background(), base.Name, overlay); !errors.Is(err, os.ErrExist) {
			t.Errorf("%s: second prepare over the overlay: err = %v, want os.ErrExist", base.Name, err)
		}
	}
	if sha(t, q.DiskPath()) != q.SHA256 {
		t.Errorf("the base image changed")
	}
}

func TestPrepareContainerDiskErrors(t *testing.T) {
	s, _ := kernelStore(t)
	overlay := filepath.Join(t.TempDir(), "o")
	if _, err := s.PrepareContainerDisk(context.Background(), "tiny", overlay); err == nil ||
		!strings.Contains(err.Error(), `image "tiny" is a kernel image`) {
		t.Errorf("kernel image: err = %v", err)
	}
	if _, err := s.PrepareContainerDisk(context.Background(), "nope", overlay); !errors.Is(err, ErrNotFound) {
		t.Errorf("unknown image: err = %v", err)
	}
	if _, err := os.Stat(overlay); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("failed prepares left %s", overlay)
	}
}

func TestPrepareContainerDiskWithoutQemuImg(t *testing.T) {
	s := newStore(t)
	s.qemuImg = "vigil-test-no-such-qemu-img"
	data := bytes1K("raw ")
	if _, err := s.Import(context.Background(), "r", writeFile(t, "raw", data)); err != nil {
		t.Fatal(err)
	}
	clone := filepath.Join(t.TempDir(), "clone.raw")
	format, err := s.PrepareContainerDisk(context.Background(), "r", clone)
	if err != nil || format != FormatRaw {
		t.Fatalf("PrepareContainerDisk = %q, %v", format, err)
	}
	got, err := os.ReadFile(clone)
	st, _ := os.Stat(clone)
	if err != nil || string(got) != string(data) || st.Mode().Perm() != 0o600 {
		t.Errorf("clone: %v, mode %v, same content %v", err, st.Mode().Perm(), string(got) == string(data))
	}
	if needQemuImgOK() {
		if _, err := s.Import(context.Background(), "q", makeQcow2(t, "1M")); err != nil {
			t.Fatal(err)
		}
		_, err := s.PrepareContainerDisk(context.Background(), "q", filepath.Join(t.TempDir(), "o"))
		if err == nil || !strings.Contains(err.Error(), "needs vigil-test-no-such-qemu-img") {
			t.Errorf("qcow2 without qemu-img: err = %v", err)
		}
	}
}

func needQemuImgOK() bool {
	_, err := lookPath("qemu-img")
	return err == nil
}
