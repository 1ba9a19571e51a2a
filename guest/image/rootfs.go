package image

import (
	"embed"
	"fmt"
	"io/fs"
	"strings"
)

// rootfs holds the image's hand-written configuration files, at their
// paths in the guest.
//
//go:embed rootfs
var rootfs embed.FS

// fileModes are the rootfs files whose mode is not 0644.
var fileModes = map[string]fs.FileMode{
	"usr/share/udhcpc/default.script": 0o755,
	"etc/shadow":                      0o640,
}

// osRelease describes the image in /etc/os-release.
func osRelease(kernelVersion string) string {
	return strings.Join([]string{
		`NAME="vigil tiny"`,
		`PRETTY_NAME="vigil tiny guest (Debian packages, kernel ` + kernelVersion + `)"`,
		`ID=vigil-tiny`,
		`ID_LIKE=debian`,
		`VERSION_ID="1"`,
		`VERSION="1 (kernel ` + kernelVersion + `)"`,
		`VARIANT_ID=tiny`,
		"",
	}, "\n")
}

// baseLayout adds the directories, links and device nodes every Linux
// userland expects, plus the embedded configuration files.
func (b *builder) baseLayout(kernelVersion string) error {
	dirs := map[string]fs.FileMode{
		"bin": 0o755, "sbin": 0o755, "usr/bin": 0o755, "usr/sbin": 0o755, "lib": 0o755, "lib64": 0o755,
		"etc": 0o755, "proc": 0o555, "sys": 0o555, "dev": 0o755, "run": 0o755, "tmp": 0o1777,
		"root": 0o700, "var/log": 0o755, "var/lib": 0o755, "var/tmp": 0o1777, "mnt": 0o755, "srv": 0o755, "home": 0o755,
	}
	for d, perm := range dirs {
		if err := b.tree.dir(d, perm); err != nil {
			return err
		}
	}
	steps := []error{
		b.tree.symlink("var/run", "/run"),
		b.tree.symlink("etc/mtab", "/proc/self/mounts"),
		b.tree.symlink("usr/lib/os-release", "/etc/os-release"),
		// The kernel opens /dev/console for init before devtmpfs is mounted.
		b.tree.charDev("dev/console", 0o600, 5, 1),
		b.tree.data("etc/os-release", 0o644, []byte(osRelease(kernelVersion))),
		b.tree.data("etc/hostname", 0o644, []byte("vigil-tiny\n")),
		b.tree.data("etc/resolv.conf", 0o644, nil),
	}
	for _, err := range steps {
		if err != nil {
			return err
		}
	}
	return b.addRootfs()
}

func (b *builder) addRootfs() error {
	return fs.WalkDir(rootfs, "rootfs", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := rootfs.ReadFile(p)
		if err != nil {
			return fmt.Errorf("embedded %s: %w", p, err)
		}
		rel := strings.TrimPrefix(p, "rootfs/")
		perm, ok := fileModes[rel]
		if !ok {
			perm = 0o644
		}
		return b.tree.data(rel, perm, data)
	})
}
