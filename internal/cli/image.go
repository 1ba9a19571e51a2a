package cli

import (
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/spf13/cobra"
	"k8s.io/apimachinery/pkg/util/duration"

	"vigil.dev/vigil/guest/image"
	"vigil.dev/vigil/internal/daemon"
	"vigil.dev/vigil/internal/images"
)

// dataDirEnv overrides the default data directory of the image commands.
const dataDirEnv = "VIGIL_DATA_DIR"

// imageOptions are the flags every image subcommand shares.
type imageOptions struct{ dataDir string }

func (o *imageOptions) open() (*images.Store, error) {
	return images.Open(images.DefaultDir(o.dataDir))
}

func defaultDataDir() string {
	if d := os.Getenv(dataDirEnv); d != "" {
		return d
	}
	return daemon.DefaultDataDir
}

// newImageCommand is `vigil image`: the host's local image store. It works
// on the files directly, not through the API: images are host-local files
// that this host's node agent reads.
func newImageCommand() *cobra.Command {
	o := &imageOptions{}
	cmd := &cobra.Command{
		Use:   "image",
		Short: "Manage the guest images stored on this host",
		Long: `Manage the local image store: the guest images that a VMI's
containerDisk.image and spec.domain.firmware.kernelBoot.container.image name.

Images are host-local files in <data-dir>/images, read by the node agent on
this host; these commands work on that directory directly, without the API
server, so run them on the host that runs the VMs (as a user who may write
the data directory). Two kinds of image:

  kernel  vmlinuz + initrd, booted directly (kernelBoot)
  disk    a qcow2 or raw disk; each VMI writes to its own overlay, thrown
          away when the VMI ends (containerDisk)`,
		Args: cobra.NoArgs,
	}
	cmd.PersistentFlags().StringVar(&o.dataDir, "data-dir", defaultDataDir(),
		"vigil's data directory on this host; the images are in <data-dir>/images (env "+dataDirEnv+")")
	cmd.AddCommand(newImageListCommand(o), newImageImportCommand(o), newImageBuildCommand(o), newImageRemoveCommand(o))
	return cmd
}

func newImageListCommand(o *imageOptions) *cobra.Command {
	return &cobra.Command{
		Use:     "list",
		Aliases: []string{"ls"},
		Short:   "List the images stored on this host",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			s, err := o.open()
			if err != nil {
				return err
			}
			imgs, err := s.List()
			if err != nil {
				return err
			}
			if len(imgs) == 0 {
				fprintf(cmd.ErrOrStderr(), "No images in %s.\n", s.Dir())
				return nil
			}
			rows := [][]string{{"NAME", "KIND", "SIZE", "CREATED"}}
			now := time.Now()
			for _, img := range imgs {
				rows = append(rows, []string{img.Name, string(img.Kind), humanSize(img.Size),
					duration.HumanDuration(now.Sub(img.Created)) + " ago"})
			}
			newTableWriter(cmd.OutOrStdout()).write(rows)
			return nil
		},
	}
}

func newImageImportCommand(o *imageOptions) *cobra.Command {
	var kernel, initrd string
	cmd := &cobra.Command{
		Use:   "import NAME FILE | NAME --kernel VMLINUZ --initrd INITRD",
		Short: "Store a disk image file, or a kernel and initrd, under NAME on this host",
		Long: `Store a disk image under NAME: a qcow2 file (kept as qcow2) or anything
else as a raw disk. The file is copied; NAME must be a DNS label and not yet
taken. With --kernel and --initrd, store a kernel image for kernelBoot.`,
		Args: cobra.RangeArgs(1, 2),
		RunE: func(cmd *cobra.Command, args []string) error {
			name := args[0]
			kernelMode := kernel != "" || initrd != ""
			switch {
			case kernelMode && (kernel == "" || initrd == ""):
				return errors.New("a kernel image needs both --kernel and --initrd")
			case kernelMode && len(args) != 1:
				return errors.New("give either FILE or --kernel and --initrd, not both")
			case !kernelMode && len(args) != 2:
				return errors.New("missing FILE: vigil image import NAME FILE")
			}
			s, err := o.open()
			if err != nil {
				return err
			}
			var img *images.Image
			if kernelMode {
				img, err = s.ImportKernel(cmd.Context(), name, kernel, initrd)
			} else {
				img, err = s.Import(cmd.Context(), name, args[1])
			}
			if err != nil {
				return err
			}
			fprintf(cmd.OutOrStdout(), "image %q imported (%s, %s, %s)\n", img.Name, img.Kind, img.Format, humanSize(img.Size))
			return nil
		},
	}
	cmd.Flags().StringVar(&kernel, "kernel", "", "kernel image (vmlinuz) of a kernel image")
	cmd.Flags().StringVar(&initrd, "initrd", "", "initial ramdisk of a kernel image")
	return cmd
}

func newImageBuildCommand(o *imageOptions) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "build",
		Short: "Build an image on this host",
		Args:  cobra.NoArgs,
	}
	var name, logLevel string
	var opts image.Options
	tiny := &cobra.Command{
		Use:   "tiny",
		Short: "Build the tiny guest (kernel + initramfs from this host's Debian packages)",
		Long: `Build vigil's tiny guest from this host's own packages (the kernel from
linux-image-amd64, busybox-static, qemu-guest-agent, watchdog, pciutils,
procps) and a Go init compiled from vigil's source, and store it as a kernel
image. A kernel image of the same name is replaced (running VMs keep the one
they booted). Needs the Go toolchain and vigil's source tree unless
--init-binary names a prebuilt init.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			logger, err := daemon.NewLogger(cmd.ErrOrStderr(), logLevel, "text")
			if err != nil {
				return err
			}
			s, err := o.open()
			if err != nil {
				return err
			}
			opts.Logger = logger
			img, err := s.BuildTinyWith(cmd.Context(), name, opts)
			if err != nil {
				return err
			}
			fprintf(cmd.OutOrStdout(), "image %q built (%s, %s) in %s\n", img.Name, img.Kind, humanSize(img.Size), img.Dir)
			return nil
		},
	}
	f := tiny.Flags()
	f.StringVar(&name, "name", images.TinyName, "name of the image")
	f.StringVar(&opts.InitBinary, "init-binary", "", "prebuilt static guest init (default: compile guest/init)")
	f.StringVar(&opts.ModuleDir, "module-dir", "", "root of vigil's source tree to compile the init from (default: found with `go env GOMOD`)")
	f.StringVar(&opts.KernelVersion, "kernel-version", "", "host kernel version to use (default: the newest in /boot with modules)")
	f.StringVar(&logLevel, "log-level", "info", "log level: debug, info, warn or error")
	cmd.AddCommand(tiny)
	return cmd
}

func newImageRemoveCommand(o *imageOptions) *cobra.Command {
	return &cobra.Command{
		Use:     "rm NAME...",
		Aliases: []string{"remove"},
		Short:   "Remove images from this host",
		Long: `Remove images from the store. A VMI that runs from a removed disk image
loses its backing file: remove only images that no running VMI uses.`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			s, err := o.open()
			if err != nil {
				return err
			}
			var errs []error
			for _, name := range args {
				if err := s.Remove(name); err != nil {
					errs = append(errs, err)
					continue
				}
				fprintf(cmd.OutOrStdout(), "image %q removed\n", name)
			}
			return errors.Join(errs...)
		},
	}
}

// humanSize prints a byte count in binary units, as ls -lh does.
func humanSize(n int64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%dB", n)
	}
	div, exp := int64(unit), 0
	for v := n / unit; v >= unit; v /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.1f%ciB", float64(n)/float64(div), "KMGTPE"[exp])
}
