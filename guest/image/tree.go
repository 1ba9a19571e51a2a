package image

import (
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"sort"
	"strings"

	"vigil.dev/vigil/guest/internal/newc"
)

type entryKind int

const (
	kindDir entryKind = iota
	kindFile
	kindLink
	kindChar
)

// entry is one file of the initramfs-to-be.
type entry struct {
	kind         entryKind
	perm         fs.FileMode
	src          string // host file to copy (kindFile), "" when data is inline
	data         []byte
	size         int64
	link         string
	major, minor uint32
}

// tree is the initramfs content, keyed by path without the leading "/".
type tree struct {
	entries map[string]*entry
}

func newTree() *tree { return &tree{entries: map[string]*entry{}} }

func clean(p string) string { return strings.TrimPrefix(path.Clean("/"+p), "/") }

func (t *tree) has(p string) bool { _, ok := t.entries[clean(p)]; return ok }

// put adds e at p after creating missing parent directories. A path can be
// added twice only with the same content source.
func (t *tree) put(p string, e *entry) error {
	p = clean(p)
	if p == "" {
		return fmt.Errorf("initramfs: empty path")
	}
	if old, ok := t.entries[p]; ok {
		if sameEntry(old, e) {
			return nil
		}
		return fmt.Errorf("initramfs: /%s added twice", p)
	}
	if dir := path.Dir(p); dir != "." {
		if parent, ok := t.entries[dir]; ok && parent.kind != kindDir {
			return fmt.Errorf("initramfs: parent of /%s is not a directory", p)
		}
		if err := t.put(dir, &entry{kind: kindDir, perm: 0o755}); err != nil {
			return err
		}
	}
	t.entries[p] = e
	return nil
}

// sameEntry reports whether adding b where a is would change nothing.
func sameEntry(a, b *entry) bool {
	switch {
	case a.kind != b.kind:
		return false
	case a.kind == kindDir:
		return true
	case a.kind == kindLink:
		return a.link == b.link
	case a.kind == kindFile:
		return a.src != "" && a.src == b.src
	}
	return false
}

func (t *tree) dir(p string, perm fs.FileMode) error {
	return t.put(p, &entry{kind: kindDir, perm: perm})
}

func (t *tree) data(p string, perm fs.FileMode, data []byte) error {
	return t.put(p, &entry{kind: kindFile, perm: perm, data: data, size: int64(len(data))})
}

func (t *tree) symlink(p, target string) error {
	return t.put(p, &entry{kind: kindLink, perm: 0o777, link: target})
}

func (t *tree) charDev(p string, perm fs.FileMode, major, minor uint32) error {
	return t.put(p, &entry{kind: kindChar, perm: perm, major: major, minor: minor})
}

// hostFile adds a copy of the host file src (symlinks followed) at p, with
// src's permissions.
func (t *tree) hostFile(p, src string) error {
	st, err := os.Stat(src)
	if err != nil {
		return fmt.Errorf("%s: %w (%w)", src, ErrMissing, err)
	}
	if !st.Mode().IsRegular() {
		return fmt.Errorf("%s: not a regular file", src)
	}
	return t.put(p, &entry{kind: kindFile, perm: st.Mode().Perm(), src: src, size: st.Size()})
}

// paths returns every path, sorted so that directories precede their contents.
func (t *tree) paths() []string {
	out := make([]string, 0, len(t.entries))
	for p := range t.entries {
		out = append(out, p)
	}
	sort.Strings(out)
	return out
}

// writeCPIO writes the tree as a newc archive with every mtime set to mtime.
func (t *tree) writeCPIO(w io.Writer, mtime int64) error {
	cw := newc.NewWriter(w)
	for _, p := range t.paths() {
		if err := writeEntry(cw, p, t.entries[p], mtime); err != nil {
			return fmt.Errorf("initramfs /%s: %w", p, err)
		}
	}
	return cw.Close()
}

func writeEntry(cw *newc.Writer, p string, e *entry, mtime int64) error {
	h := &newc.Header{Name: p, Mode: uint32(e.perm.Perm()), Mtime: mtime}
	switch e.kind {
	case kindDir:
		h.Mode |= newc.TypeDir
	case kindLink:
		h.Mode |= newc.TypeSymlink
		h.Linkname = e.link
	case kindChar:
		h.Mode |= newc.TypeChar
		h.RdevMajor, h.RdevMinor = e.major, e.minor
	case kindFile:
		h.Mode |= newc.TypeRegular
		h.Size = e.size
	}
	if err := cw.WriteHeader(h); err != nil {
		return err
	}
	if e.kind != kindFile {
		return nil
	}
	if e.src == "" {
		_, err := cw.Write(e.data)
		return err
	}
	f, err := os.Open(e.src)
	if err != nil {
		return err
	}
	defer f.Close()
	if _, err := io.CopyN(cw, f, e.size); err != nil {
		return fmt.Errorf("copy %s: %w", e.src, err)
	}
	return nil
}
