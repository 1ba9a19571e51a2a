package images

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"

	"golang.org/x/sys/unix"
)

var lookPath = exec.LookPath

// createOverlay runs qemu-img create for a qcow2 overlay backed by im's
// disk file (by absolute path, with its format stated so QEMU never probes
// it). A failed run leaves no file behind.
func createOverlay(ctx context.Context, qemuImg string, im *Image, overlay string) error {
	cmd := exec.CommandContext(ctx, qemuImg, "create", "-q", "-f", FormatQcow2,
		"-F", im.Format, "-b", im.DiskPath(), overlay)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		os.Remove(overlay)
		return fmt.Errorf("container disk overlay %s on image %q: qemu-img create: %w: %s",
			overlay, im.Name, err, strings.TrimSpace(out.String()))
	}
	return nil
}

// cloneFile copies src to dst (mode 0600), sharing blocks with a reflink
// when the file system supports it. A failed copy leaves no file behind.
func cloneFile(ctx context.Context, src, dst string) (err error) {
	in, err := os.Open(src)
	if err != nil {
		return fmt.Errorf("container disk %s: %w", dst, err)
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600)
	if err != nil {
		return fmt.Errorf("container disk %s: %w", dst, err)
	}
	defer func() {
		if cerr := out.Close(); err == nil && cerr != nil {
			err = fmt.Errorf("container disk %s: %w", dst, cerr)
		}
		if err != nil {
			os.Remove(dst)
		}
	}()
	if unix.IoctlFileClone(int(out.Fd()), int(in.Fd())) == nil {
		return nil
	}
	if _, err := io.Copy(out, ctxReader{ctx, in}); err != nil {
		return fmt.Errorf("container disk %s: copy %s: %w", dst, src, err)
	}
	return nil
}
