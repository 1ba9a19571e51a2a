package images

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"k8s.io/apimachinery/pkg/util/validation"
)

// Kind says how an image boots.
type Kind string

// Image kinds.
const (
	KindKernel Kind = "kernel" // vmlinuz + initrd
	KindDisk   Kind = "disk"   // disk.qcow2 or disk.raw
)

// Formats of the files an image holds.
const (
	FormatQcow2  = "qcow2"
	FormatRaw    = "raw"
	FormatKernel = "vmlinuz+initrd"
)

// File names inside an image directory.
const (
	MetaFile   = "image.json"
	KernelFile = "vmlinuz"
	InitrdFile = "initrd"
)

// DiskFile is the name of a disk image's file for a format.
func DiskFile(format string) string { return "disk." + format }

// Image describes one stored image (its image.json).
type Image struct {
	Name   string `json:"name"`
	Kind   Kind   `json:"kind"`
	Format string `json:"format"`
	// Size is the bytes of the image's files together.
	Size int64 `json:"size"`
	// VirtualSize is a qcow2 disk's size as the guest sees it.
	VirtualSize int64 `json:"virtualSize,omitempty"`
	// SHA256 is the disk file's digest for a disk image; for a kernel image
	// it is the digest of the Files list in sha256sum format, so it changes
	// when either file does.
	SHA256  string    `json:"sha256"`
	Files   []File    `json:"files"`
	Created time.Time `json:"created"`
	// Source says where the image came from (a file path or a build).
	Source string `json:"source"`

	// Dir is the image's directory; not stored.
	Dir string `json:"-"`
}

// File is one file of an image.
type File struct {
	Name   string `json:"name"`
	Size   int64  `json:"size"`
	SHA256 string `json:"sha256"`
}

// Path is the absolute path of one of the image's files.
func (img *Image) Path(file string) string { return filepath.Join(img.Dir, file) }

// DiskPath is a disk image's disk file.
func (img *Image) DiskPath() string { return img.Path(DiskFile(img.Format)) }

// finish fills Size and SHA256 from Files.
func (img *Image) finish() {
	img.Size = 0
	var list strings.Builder
	for _, f := range img.Files {
		img.Size += f.Size
		fmt.Fprintf(&list, "%s  %s\n", f.SHA256, f.Name)
	}
	switch {
	case img.Kind == KindDisk && len(img.Files) == 1:
		img.SHA256 = img.Files[0].SHA256
	default:
		sum := sha256.Sum256([]byte(list.String()))
		img.SHA256 = hex.EncodeToString(sum[:])
	}
}

// ValidateName checks that name can name an image: a DNS label, like the
// Kubernetes object names that refer to it.
func ValidateName(name string) error {
	if name == "" {
		return errors.New("image name is empty")
	}
	if msgs := validation.IsDNS1123Label(name); len(msgs) > 0 {
		return fmt.Errorf("image name %q: %s", name, strings.Join(msgs, "; "))
	}
	return nil
}

// readImage reads dir/image.json and checks that it describes dir.
func readImage(dir string) (*Image, error) {
	data, err := os.ReadFile(filepath.Join(dir, MetaFile))
	if err != nil {
		return nil, err
	}
	var img Image
	if err := json.Unmarshal(data, &img); err != nil {
		return nil, fmt.Errorf("%s: %w", filepath.Join(dir, MetaFile), err)
	}
	if img.Name != filepath.Base(dir) {
		return nil, fmt.Errorf("%s: names image %q, not %q", filepath.Join(dir, MetaFile), img.Name, filepath.Base(dir))
	}
	if img.Kind != KindKernel && img.Kind != KindDisk {
		return nil, fmt.Errorf("%s: unknown kind %q", filepath.Join(dir, MetaFile), img.Kind)
	}
	img.Dir = dir
	return &img, nil
}
