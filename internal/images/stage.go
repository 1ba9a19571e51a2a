package images

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
)

// fileMode is the mode of stored image files: QEMU only reads them (a VMI
// writes to its own overlay), so nobody should write them by accident.
const fileMode = 0o444

// stage is a hidden directory in the store where an image is assembled
// before it is renamed into place under its name.
type stage struct {
	s    *Store
	name string
	dir  string
}

func (s *Store) newStage(name string) (*stage, error) {
	dir, err := os.MkdirTemp(s.dir, stagePrefix+name+"-")
	if err != nil {
		return nil, fmt.Errorf("image %q: %w", name, err)
	}
	if err := os.Chmod(dir, 0o755); err != nil {
		os.RemoveAll(dir)
		return nil, fmt.Errorf("image %q: %w", name, err)
	}
	return &stage{s: s, name: name, dir: dir}, nil
}

// abort deletes the stage; after a commit there is nothing left to delete.
func (st *stage) abort() { os.RemoveAll(st.dir) }

// copyIn copies the host file src into the stage as name.
func (st *stage) copyIn(ctx context.Context, src, name string) (File, error) {
	in, err := os.Open(src)
	if err != nil {
		return File{}, err
	}
	defer in.Close()
	out, err := os.OpenFile(filepath.Join(st.dir, name), os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600)
	if err != nil {
		return File{}, err
	}
	h := sha256.New()
	n, err := io.CopyBuffer(io.MultiWriter(out, h), ctxReader{ctx, in}, make([]byte, 1<<20))
	if err == nil {
		err = finishFile(out)
	} else {
		out.Close()
	}
	if err != nil {
		return File{}, fmt.Errorf("copy %s: %w", src, err)
	}
	return File{Name: name, Size: n, SHA256: hex.EncodeToString(h.Sum(nil))}, nil
}

// adopt records a file someone else wrote into the stage.
func (st *stage) adopt(ctx context.Context, name string) (File, error) {
	f, err := os.OpenFile(filepath.Join(st.dir, name), os.O_RDWR, 0)
	if err != nil {
		return File{}, err
	}
	h := sha256.New()
	n, err := io.CopyBuffer(h, ctxReader{ctx, f}, make([]byte, 1<<20))
	if err == nil {
		err = finishFile(f)
	} else {
		f.Close()
	}
	if err != nil {
		return File{}, fmt.Errorf("%s: %w", name, err)
	}
	return File{Name: name, Size: n, SHA256: hex.EncodeToString(h.Sum(nil))}, nil
}

// finishFile makes f read-only, syncs and closes it.
func finishFile(f *os.File) error {
	err := f.Chmod(fileMode)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

// commit writes img's image.json and renames the stage into place. With
// replace, an existing image of the name is swapped out in the same step;
// without, it is an error wrapping ErrExists. The caller holds the lock.
func (st *stage) commit(ctx context.Context, img *Image, replace bool) (*Image, error) {
	img.Name, img.Created = st.name, st.s.now().UTC()
	img.finish()
	if err := writeMeta(st.dir, img); err != nil {
		return nil, fmt.Errorf("image %q: %w", st.name, err)
	}
	if err := syncDir(st.dir); err != nil {
		return nil, fmt.Errorf("image %q: %w", st.name, err)
	}
	if st.s.afterStage != nil {
		st.s.afterStage()
	}
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("image %q: %w", st.name, err)
	}
	trash := ""
	if replace {
		var err error
		if trash, err = st.s.moveAway(st.name); err != nil {
			return nil, err
		}
	} else if err := st.s.checkFree(st.name); err != nil {
		return nil, err
	}
	final := filepath.Join(st.s.dir, st.name)
	if err := os.Rename(st.dir, final); err != nil {
		return nil, fmt.Errorf("image %q: %w", st.name, err)
	}
	if err := syncDir(st.s.dir); err != nil {
		return nil, fmt.Errorf("image %q: %w", st.name, err)
	}
	if trash != "" {
		os.RemoveAll(trash) // what is left is cleared by the next Open
	}
	img.Dir = final
	return img, nil
}

// checkFree fails with ErrExists when name is taken.
func (s *Store) checkFree(name string) error {
	_, err := os.Lstat(filepath.Join(s.dir, name))
	switch {
	case err == nil:
		return fmt.Errorf("image %q: %w in %s; remove it first (vigil image rm %s)", name, ErrExists, s.dir, name)
	case errors.Is(err, os.ErrNotExist):
		return nil
	default:
		return fmt.Errorf("image %q: %w", name, err)
	}
}

func writeMeta(dir string, img *Image) error {
	data, err := json.MarshalIndent(img, "", "  ")
	if err != nil {
		return err
	}
	f, err := os.OpenFile(filepath.Join(dir, MetaFile), os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600)
	if err != nil {
		return err
	}
	if _, err := f.Write(append(data, '\n')); err != nil {
		f.Close()
		return err
	}
	return finishFile(f)
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}

// ctxReader stops a long copy when its context ends.
type ctxReader struct {
	ctx context.Context
	r   io.Reader
}

func (c ctxReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.r.Read(p)
}
