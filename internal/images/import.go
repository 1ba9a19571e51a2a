package images

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
)

// Import stores the disk image file as a disk image called name, in its
// own format: qcow2 when it starts with qcow2's magic, raw otherwise. A
// qcow2 file must stand alone (no backing file, no external data file, no
// encryption), since the store keeps only the file itself.
func (s *Store) Import(ctx context.Context, name, file string) (*Image, error) {
	if err := ValidateName(name); err != nil {
		return nil, err
	}
	src, err := filepath.Abs(file)
	if err != nil {
		return nil, fmt.Errorf("import %s: %w", file, err)
	}
	info, err := inspectDisk(src)
	if err != nil {
		return nil, fmt.Errorf("import %s: %w", file, err)
	}
	return s.create(ctx, name, false, func(st *stage) (*Image, error) {
		f, err := st.copyIn(ctx, src, DiskFile(info.format))
		if err != nil {
			return nil, err
		}
		return &Image{Kind: KindDisk, Format: info.format, VirtualSize: info.virtualSize,
			Files: []File{f}, Source: src}, nil
	})
}

// ImportKernel stores a kernel and an initrd as a kernel image called name.
func (s *Store) ImportKernel(ctx context.Context, name, vmlinuz, initrd string) (*Image, error) {
	if err := ValidateName(name); err != nil {
		return nil, err
	}
	srcs := map[string]string{KernelFile: vmlinuz, InitrdFile: initrd}
	for _, f := range []string{KernelFile, InitrdFile} {
		abs, err := filepath.Abs(srcs[f])
		if err != nil {
			return nil, fmt.Errorf("import %s %s: %w", f, srcs[f], err)
		}
		if err := nonEmptyFile(abs); err != nil {
			return nil, fmt.Errorf("import %s: %w", f, err)
		}
		srcs[f] = abs
	}
	return s.create(ctx, name, false, func(st *stage) (*Image, error) {
		img := &Image{Kind: KindKernel, Format: FormatKernel,
			Source: fmt.Sprintf("kernel %s, initrd %s", srcs[KernelFile], srcs[InitrdFile])}
		for _, f := range []string{KernelFile, InitrdFile} {
			file, err := st.copyIn(ctx, srcs[f], f)
			if err != nil {
				return nil, err
			}
			img.Files = append(img.Files, file)
		}
		return img, nil
	})
}

// create makes the image called name from what fill puts into a fresh
// stage, holding the name's lock throughout. Without replace, an existing
// image is an error before any work is done.
func (s *Store) create(ctx context.Context, name string, replace bool, fill func(*stage) (*Image, error)) (*Image, error) {
	l, err := s.lock(ctx, name)
	if err != nil {
		return nil, err
	}
	defer l.unlock()
	if !replace {
		if err := s.checkFree(name); err != nil {
			return nil, err
		}
	}
	st, err := s.newStage(name)
	if err != nil {
		return nil, err
	}
	defer st.abort()
	img, err := fill(st)
	if err != nil {
		return nil, fmt.Errorf("image %q: %w", name, err)
	}
	return st.commit(ctx, img, replace)
}

func nonEmptyFile(path string) error {
	st, err := os.Stat(path)
	switch {
	case err != nil:
		return err
	case !st.Mode().IsRegular():
		return fmt.Errorf("%s is not a regular file", path)
	case st.Size() == 0:
		return fmt.Errorf("%s is empty", path)
	}
	return nil
}
