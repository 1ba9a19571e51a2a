package framework

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
)

var (
	tinyOnce sync.Once
	tinyDir  string
	tinyErr  error
)

// TinyImage builds the tiny guest image once per test process, with the
// real `vigil image build tiny`, and returns the directory holding its
// vmlinuz and initrd.
func TinyImage() (string, error) {
	tinyOnce.Do(func() {
		bin, err := Binary()
		if err != nil {
			tinyErr = err
			return
		}
		cache, err := os.MkdirTemp("", "vigil-e2e-images-")
		if err != nil {
			tinyErr = err
			return
		}
		cmd := exec.Command(bin, "image", "build", "tiny", "--data-dir", cache)
		if root, err := moduleRoot(); err == nil {
			cmd.Dir = root // the guest's init is built from the module's source
		}
		if out, err := cmd.CombinedOutput(); err != nil {
			tinyErr = fmt.Errorf("vigil image build tiny: %v\n%s", err, out)
			return
		}
		tinyDir = filepath.Join(cache, "images", "tiny")
	})
	return tinyDir, tinyErr
}

// ImportTiny imports the tiny image into this daemon's data dir with
// `vigil image import`.
func (d *Daemon) ImportTiny() {
	d.t.Helper()
	dir, err := TinyImage()
	if err != nil {
		d.t.Fatal(err)
	}
	out, err := exec.Command(d.Bin, "image", "import", "tiny", "--data-dir", d.DataDir,
		"--kernel", filepath.Join(dir, "vmlinuz"), "--initrd", filepath.Join(dir, "initrd")).CombinedOutput()
	if err != nil {
		d.t.Fatalf("vigil image import tiny: %v\n%s", err, out)
	}
}
