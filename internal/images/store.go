package images

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"syscall"
	"time"
)

// DirName is the store's directory under vigil's data directory.
const DirName = "images"

// DefaultDir is the store's directory for a data directory.
func DefaultDir(dataDir string) string { return filepath.Join(dataDir, DirName) }

// Errors callers can test with errors.Is.
var (
	ErrNotFound = errors.New("not found")
	ErrExists   = errors.New("already exists")
)

// Hidden entries of the store directory. Image names are DNS labels, so
// they never start with a dot.
const (
	stagePrefix = ".stage-" // an image being written: .stage-<name>-<random>
	trashPrefix = ".trash-" // an image being removed or replaced
)

// Store is the image store in one directory. Its methods are safe to call
// from several goroutines and processes at once.
type Store struct {
	dir string
	// now stamps Created; tests replace it.
	now func() time.Time
	// qemuImg is the qemu-img program; tests point it elsewhere.
	qemuImg string
	// afterStage runs once an import's files are staged, before it is
	// committed; tests use it to fail an import half way.
	afterStage func()
}

// Open opens (creating if needed) the store in dir, and clears what
// interrupted writers left behind.
func Open(dir string) (*Store, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, fmt.Errorf("image store %s: %w", dir, err)
	}
	if err := os.MkdirAll(filepath.Join(abs, locksDir), 0o755); err != nil {
		return nil, fmt.Errorf("image store %s: %w", abs, err)
	}
	s := &Store{dir: abs, now: time.Now, qemuImg: "qemu-img"}
	s.cleanStale()
	return s, nil
}

// Dir is the store's directory.
func (s *Store) Dir() string { return s.dir }

// List returns the stored images sorted by name. Directories without a
// readable image.json are skipped: they are not images.
func (s *Store) List() ([]Image, error) {
	entries, err := os.ReadDir(s.dir)
	if err != nil {
		return nil, fmt.Errorf("image store %s: %w", s.dir, err)
	}
	var out []Image
	for _, e := range entries {
		if !e.IsDir() || strings.HasPrefix(e.Name(), ".") {
			continue
		}
		img, err := readImage(filepath.Join(s.dir, e.Name()))
		if err != nil {
			continue
		}
		out = append(out, *img)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

// Get returns the image called name. An unknown name gives an error that
// wraps ErrNotFound and lists the images there are.
func (s *Store) Get(name string) (*Image, error) {
	if err := ValidateName(name); err != nil {
		return nil, err
	}
	img, err := readImage(filepath.Join(s.dir, name))
	switch {
	case err == nil:
		return img, nil
	case errors.Is(err, os.ErrNotExist):
		return nil, s.notFound(name)
	default:
		return nil, fmt.Errorf("image %q: %w", name, err)
	}
}

func (s *Store) notFound(name string) error {
	known := "the store is empty; build one with `vigil image build tiny` or add one with `vigil image import`"
	if imgs, err := s.List(); err == nil && len(imgs) > 0 {
		names := make([]string, len(imgs))
		for i := range imgs {
			names[i] = imgs[i].Name
		}
		known = "known images: " + strings.Join(names, ", ")
	}
	return fmt.Errorf("image %q: %w in %s (%s)", name, ErrNotFound, s.dir, known)
}

// Remove deletes the image called name. It disappears at once (renamed
// away, then deleted); VMIs whose overlays use a removed disk image break.
func (s *Store) Remove(name string) error {
	if _, err := s.Get(name); err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(context.Background(), removeLockTimeout)
	defer cancel()
	l, err := s.lock(ctx, name)
	if err != nil {
		return err
	}
	defer l.unlock()
	trash, err := s.moveAway(name)
	if err != nil {
		return err
	}
	if trash == "" {
		return s.notFound(name) // removed by someone else meanwhile
	}
	if err := os.RemoveAll(trash); err != nil {
		return fmt.Errorf("image %q: %w", name, err)
	}
	return nil
}

// moveAway renames the image directory to a trash name and returns it, or
// "" if there is no such directory. The caller holds the name's lock.
func (s *Store) moveAway(name string) (string, error) {
	trash, err := os.MkdirTemp(s.dir, trashPrefix+name+"-")
	if err != nil {
		return "", fmt.Errorf("image %q: %w", name, err)
	}
	// rename(2) replaces an empty directory; os.Rename refuses to, so the
	// system call is used directly onto the name MkdirTemp reserved.
	if err := syscall.Rename(filepath.Join(s.dir, name), trash); err != nil {
		os.Remove(trash)
		if errors.Is(err, os.ErrNotExist) {
			return "", nil
		}
		return "", fmt.Errorf("image %q: rename %s to %s: %w", name, filepath.Join(s.dir, name), trash, err)
	}
	if err := syncDir(s.dir); err != nil {
		return "", fmt.Errorf("image %q: %w", name, err)
	}
	return trash, nil
}

// cleanStale deletes staging and trash directories whose writer is gone
// (its name's lock is free). Errors only leave them for the next Open.
func (s *Store) cleanStale() {
	entries, err := os.ReadDir(s.dir)
	if err != nil {
		return
	}
	for _, e := range entries {
		name, ok := staleName(e.Name())
		if !ok {
			continue
		}
		l, free := s.tryLockName(name)
		if !free {
			continue
		}
		os.RemoveAll(filepath.Join(s.dir, e.Name()))
		l.unlock()
	}
}

// staleName returns the image name of a staging or trash entry
// (".stage-<name>-<random>").
func staleName(entry string) (string, bool) {
	for _, p := range []string{stagePrefix, trashPrefix} {
		if rest, ok := strings.CutPrefix(entry, p); ok {
			if i := strings.LastIndexByte(rest, '-'); i > 0 {
				return rest[:i], true
			}
		}
	}
	return "", false
}
