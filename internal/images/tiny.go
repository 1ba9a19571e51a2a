package images

import (
	"context"
	"fmt"
	"log/slog"

	"vigil.dev/vigil/guest/image"
)

// TinyName is the default name of the tiny guest image.
const TinyName = "tiny"

// BuildTiny builds vigil's tiny guest (guest/image) and stores it as the
// kernel image called name (default "tiny"), replacing an older kernel
// image of that name: QEMU reads kernel and initrd only when a VM starts,
// so running VMs are not affected. A disk image of that name is not
// replaced.
func (s *Store) BuildTiny(ctx context.Context, name string, logger *slog.Logger) (*Image, error) {
	return s.BuildTinyWith(ctx, name, image.Options{Logger: logger})
}

// BuildTinyWith is BuildTiny with guest/image's options (a prebuilt init,
// the module directory, a kernel version). opts.OutDir is ignored: the
// build writes into the store's staging directory.
func (s *Store) BuildTinyWith(ctx context.Context, name string, opts image.Options) (*Image, error) {
	if name == "" {
		name = TinyName
	}
	if err := ValidateName(name); err != nil {
		return nil, err
	}
	return s.create(ctx, name, true, func(st *stage) (*Image, error) {
		if old, err := s.Get(name); err == nil && old.Kind != KindKernel {
			return nil, fmt.Errorf("%w as a %s image; the tiny guest is a kernel image: remove it first or pick another name",
				ErrExists, old.Kind)
		}
		opts.OutDir = st.dir
		res, err := image.BuildTiny(ctx, opts)
		if err != nil {
			return nil, fmt.Errorf("build tiny guest: %w", err)
		}
		img := &Image{Kind: KindKernel, Format: FormatKernel,
			Source: fmt.Sprintf("vigil image build tiny (kernel %s)", res.KernelVersion)}
		// The manifest stays in the directory for people; it is no boot file.
		for _, f := range []string{KernelFile, InitrdFile, image.ManifestFile} {
			file, err := st.adopt(ctx, f)
			if err != nil {
				return nil, err
			}
			if f != image.ManifestFile {
				img.Files = append(img.Files, file)
			}
		}
		return img, nil
	})
}
