package newc

import (
	"bufio"
	"fmt"
	"io"
)

// Reader reads a newc archive written by Writer or by cpio(1) -H newc.
type Reader struct {
	r         *bufio.Reader
	remaining int64
	bodyPad   int64
}

// NewReader returns a Reader over r.
func NewReader(r io.Reader) *Reader { return &Reader{r: bufio.NewReader(r)} }

// Next skips the rest of the current entry and returns the next header, or
// io.EOF after the trailer. Symlink targets are returned in Linkname.
func (r *Reader) Next() (*Header, error) {
	if _, err := r.r.Discard(int(r.remaining + r.bodyPad)); err != nil {
		return nil, fmt.Errorf("newc: skip body: %w", err)
	}
	r.remaining, r.bodyPad = 0, 0
	raw := make([]byte, headerLen)
	if _, err := io.ReadFull(r.r, raw); err != nil {
		return nil, fmt.Errorf("newc: read header: %w", err)
	}
	f, err := decodeFields(raw)
	if err != nil {
		return nil, fmt.Errorf("newc: %w", err)
	}
	name := make([]byte, f[11])
	if _, err := io.ReadFull(r.r, name); err != nil {
		return nil, fmt.Errorf("newc: read name: %w", err)
	}
	if _, err := r.r.Discard(int(pad(headerLen + int64(f[11])))); err != nil {
		return nil, fmt.Errorf("newc: skip name padding: %w", err)
	}
	h := &Header{
		Name: string(name[:len(name)-1]), Mode: f[1], UID: f[2], GID: f[3], Nlink: f[4],
		Mtime: int64(f[5]), Size: int64(f[6]), RdevMajor: f[9], RdevMinor: f[10],
	}
	if h.Name == trailer {
		return nil, io.EOF
	}
	r.remaining, r.bodyPad = h.Size, pad(h.Size)
	if h.Type() == TypeSymlink {
		target := make([]byte, h.Size)
		if _, err := io.ReadFull(r, target); err != nil {
			return nil, fmt.Errorf("newc: read link %s: %w", h.Name, err)
		}
		h.Linkname = string(target)
	}
	return h, nil
}

// Read reads the body of the current entry.
func (r *Reader) Read(p []byte) (int, error) {
	if r.remaining == 0 {
		return 0, io.EOF
	}
	if int64(len(p)) > r.remaining {
		p = p[:r.remaining]
	}
	n, err := r.r.Read(p)
	r.remaining -= int64(n)
	return n, err
}
