package image

import (
	"compress/gzip"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"time"
)

// builder collects the initramfs content.
type builder struct {
	log     *slog.Logger
	tree    *tree
	sources []string // host files copied in, for the package list
	seen    map[string]bool
}

// addHost copies host file src to dst in the image and remembers src.
func (b *builder) addHost(dst, src string) error {
	if err := b.tree.hostFile(dst, src); err != nil {
		return err
	}
	if !b.seen[src] {
		b.seen[src] = true
		b.sources = append(b.sources, src)
	}
	return nil
}

// BuildTiny builds the tiny guest image into opts.OutDir (see the package
// documentation for what goes in).
func BuildTiny(ctx context.Context, opts Options) (*Result, error) {
	if opts.OutDir == "" {
		return nil, errors.New("image: Options.OutDir is empty")
	}
	log, start := opts.logger(), time.Now()
	version := opts.KernelVersion
	if version == "" {
		var err error
		if version, err = pickKernel(modulesRoot, bootDir); err != nil {
			return nil, err
		}
	}
	kernelSrc := filepath.Join(bootDir, "vmlinuz-"+version)
	kst, err := os.Stat(kernelSrc)
	if err != nil {
		return nil, fmt.Errorf("kernel %s: %w (%w)", version, ErrMissing, err)
	}
	initBin := opts.InitBinary
	if initBin == "" {
		tmp, err := os.MkdirTemp("", "vigil-init-")
		if err != nil {
			return nil, err
		}
		defer os.RemoveAll(tmp)
		if initBin, err = opts.buildInit(ctx, tmp); err != nil {
			return nil, err
		}
		log.Debug("guest init built", "path", initBin)
	}
	b := &builder{log: log, tree: newTree(), seen: map[string]bool{}}
	modules, err := b.assemble(ctx, version, initBin, append(append([]string{}, DefaultModules...), opts.ExtraModules...))
	if err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("image: %w", err)
	}
	// Every mtime is the kernel's: the same host inputs give the same initrd bytes.
	res, man, err := b.write(opts.OutDir, version, kernelSrc, kst.ModTime().Unix())
	if err != nil {
		return nil, err
	}
	man.Modules = modules
	if man.Packages, err = packageVersions(ctx, append(b.sources, kernelSrc)); err != nil {
		log.Warn("image manifest has no package versions", "err", err)
	}
	if err := writeJSON(filepath.Join(opts.OutDir, ManifestFile), man); err != nil {
		return nil, err
	}
	log.Info("tiny image built", "dir", opts.OutDir, "kernel", version, "initrd_bytes", res.InitrdSize,
		"files", res.Files, "took", time.Since(start).Round(time.Millisecond))
	return res, nil
}

// assemble fills the tree and returns the module load order.
func (b *builder) assemble(ctx context.Context, version, initBin string, modules []string) ([]string, error) {
	if err := b.baseLayout(version); err != nil {
		return nil, err
	}
	if err := b.tree.hostFile("init", initBin); err != nil {
		return nil, fmt.Errorf("guest init: %w", err)
	}
	if err := b.addBusybox(ctx); err != nil {
		return nil, err
	}
	for _, p := range []string{qemuGAPath, watchdogPath, lspciPath, pkillPath} {
		if err := b.addProgram(ctx, p); err != nil {
			return nil, err
		}
	}
	if err := b.addHost(pciIDsPath, pciIDsPath); err != nil {
		return nil, err
	}
	return b.addModules(version, modules)
}

// write produces initrd and vmlinuz in dir (each via a temporary file and a
// rename, so a reader never sees half an image) and the manifest's core.
func (b *builder) write(dir, version, kernelSrc string, mtime int64) (*Result, *Manifest, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, nil, fmt.Errorf("image: %w", err)
	}
	res := &Result{Kernel: filepath.Join(dir, "vmlinuz"), Initrd: filepath.Join(dir, "initrd"),
		Manifest: filepath.Join(dir, ManifestFile), KernelVersion: version, Files: len(b.tree.entries)}
	initrd, err := writeAtomic(res.Initrd, func(w io.Writer) error {
		zw, err := gzip.NewWriterLevel(w, gzip.BestCompression)
		if err != nil {
			return err
		}
		if err := b.tree.writeCPIO(zw, mtime); err != nil {
			return err
		}
		return zw.Close()
	})
	if err != nil {
		return nil, nil, err
	}
	kernel, err := writeAtomic(res.Kernel, func(w io.Writer) error {
		f, err := os.Open(kernelSrc)
		if err != nil {
			return err
		}
		defer f.Close()
		_, err = io.Copy(w, f)
		return err
	})
	if err != nil {
		return nil, nil, err
	}
	res.InitrdSize, res.KernelSize = initrd.Size, kernel.Size
	return res, &Manifest{Image: "tiny", KernelVersion: version, Kernel: kernel, Initrd: initrd, Files: b.tree.manifestFiles()}, nil
}

// writeAtomic writes path through fill and returns its size and sha256.
func writeAtomic(path string, fill func(io.Writer) error) (Artifact, error) {
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp-")
	if err != nil {
		return Artifact{}, fmt.Errorf("image %s: %w", path, err)
	}
	defer os.Remove(f.Name())
	h := sha256.New()
	cw := &countWriter{w: io.MultiWriter(f, h)}
	if err := fill(cw); err != nil {
		f.Close()
		return Artifact{}, fmt.Errorf("image %s: %w", path, err)
	}
	if err := f.Chmod(0o644); err != nil {
		f.Close()
		return Artifact{}, fmt.Errorf("image %s: %w", path, err)
	}
	if err := f.Close(); err != nil {
		return Artifact{}, fmt.Errorf("image %s: %w", path, err)
	}
	if err := os.Rename(f.Name(), path); err != nil {
		return Artifact{}, fmt.Errorf("image %s: %w", path, err)
	}
	return Artifact{File: filepath.Base(path), Size: cw.n, SHA256: hex.EncodeToString(h.Sum(nil))}, nil
}

type countWriter struct {
	w io.Writer
	n int64
}

func (c *countWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}

func writeJSON(path string, v any) error {
	data, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return fmt.Errorf("image manifest: %w", err)
	}
	if _, err := writeAtomic(path, func(w io.Writer) error { _, err := w.Write(append(data, '\n')); return err }); err != nil {
		return err
	}
	return nil
}
