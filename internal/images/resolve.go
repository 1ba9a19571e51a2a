package images

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"k8s.io/apimachinery/pkg/util/validation/field"

	v1 "vigil.dev/vigil/api/v1"
)

var kernelBootPath = field.NewPath("spec", "domain", "firmware", "kernelBoot", "container")

// ResolveKernelBoot returns the host paths of the kernel and initrd that
// kb names: container.image is a kernel image in the store;
// kernelPath and initrdPath, when set, pick files inside the image's
// directory ("/vmlinuz" is the image's vmlinuz) and default to its vmlinuz
// and initrd. Paths that lead out of the image directory are refused.
// Errors name the field under spec.domain.firmware.kernelBoot.
func (s *Store) ResolveKernelBoot(kb *v1.KernelBoot) (kernel, initrd string, err error) {
	if kb == nil || kb.Container == nil || kb.Container.Image == "" {
		return "", "", fmt.Errorf("%s: required: the kernel image to boot", kernelBootPath.Child("image"))
	}
	c := kb.Container
	img, err := s.Get(c.Image)
	if err != nil {
		return "", "", fmt.Errorf("%s: %w", kernelBootPath.Child("image"), err)
	}
	if img.Kind != KindKernel {
		return "", "", fmt.Errorf("%s: image %q is a %s image, not a kernel image (vmlinuz + initrd); "+
			"use it as a containerDisk volume instead", kernelBootPath.Child("image"), img.Name, img.Kind)
	}
	if kernel, err = fileInImage(img, kernelBootPath.Child("kernelPath"), c.KernelPath, KernelFile); err != nil {
		return "", "", err
	}
	if initrd, err = fileInImage(img, kernelBootPath.Child("initrdPath"), c.InitrdPath, InitrdFile); err != nil {
		return "", "", err
	}
	return kernel, initrd, nil
}

// fileInImage resolves p (absolute within the image, or relative to it) to
// a regular file inside img's directory, following symlinks only as far as
// they stay inside.
func fileInImage(img *Image, fld *field.Path, p, def string) (string, error) {
	if p == "" {
		p = def
	}
	if slices.Contains(strings.Split(filepath.ToSlash(p), "/"), "..") {
		return "", fmt.Errorf("%s: %q must not contain \"..\": it names a file inside image %q", fld, p, img.Name)
	}
	root, err := filepath.EvalSymlinks(img.Dir)
	if err != nil {
		return "", fmt.Errorf("%s: image %q: %w", fld, img.Name, err)
	}
	resolved, err := filepath.EvalSymlinks(filepath.Join(root, filepath.Clean("/"+p)))
	if err != nil {
		return "", fmt.Errorf("%s: %q is not in image %q: %w", fld, p, img.Name, err)
	}
	if rel, err := filepath.Rel(root, resolved); err != nil || rel == ".." || strings.HasPrefix(rel, "../") {
		return "", fmt.Errorf("%s: %q leads out of image %q", fld, p, img.Name)
	}
	st, err := os.Stat(resolved)
	if err != nil {
		return "", fmt.Errorf("%s: %q in image %q: %w", fld, p, img.Name, err)
	}
	if !st.Mode().IsRegular() {
		return "", fmt.Errorf("%s: %q in image %q is not a regular file", fld, p, img.Name)
	}
	return resolved, nil
}

// PrepareContainerDisk makes overlayPath an ephemeral disk on top of the
// disk image called img and returns the format QEMU must open it with. The
// overlay is a qcow2 file backed by the stored image (made with qemu-img):
// the VMI's writes go to the overlay and vanish with it, the image is never
// written. Without qemu-img a raw image is cloned (reflink where the file
// system can, a copy otherwise). overlayPath must not exist yet.
func (s *Store) PrepareContainerDisk(ctx context.Context, img string, overlayPath string) (format string, err error) {
	im, err := s.Get(img)
	if err != nil {
		return "", err
	}
	if im.Kind != KindDisk {
		return "", fmt.Errorf("image %q is a %s image (vmlinuz + initrd), not a disk: name it in %s instead of a containerDisk",
			im.Name, im.Kind, kernelBootPath.Child("image"))
	}
	if _, err := os.Lstat(overlayPath); err == nil {
		return "", fmt.Errorf("container disk overlay %s: %w", overlayPath, os.ErrExist)
	} else if !errors.Is(err, os.ErrNotExist) {
		return "", fmt.Errorf("container disk overlay %s: %w", overlayPath, err)
	}
	if qemuImg, lookErr := lookPath(s.qemuImg); lookErr == nil {
		return FormatQcow2, createOverlay(ctx, qemuImg, im, overlayPath)
	}
	if im.Format != FormatRaw {
		return "", fmt.Errorf("image %q is %s: an overlay on it needs %s, which is not installed (Debian: qemu-utils)",
			im.Name, im.Format, s.qemuImg)
	}
	return FormatRaw, cloneFile(ctx, im.DiskPath(), overlayPath)
}
