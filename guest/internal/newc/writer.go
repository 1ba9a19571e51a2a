package newc

import (
	"errors"
	"fmt"
	"io"
)

// Writer writes a newc archive entry by entry: WriteHeader, then exactly
// Header.Size bytes of body through Write (nothing for directories, devices
// and symlinks: their target is written from Linkname), then Close for the
// trailer. Padding is handled here.
type Writer struct {
	w         io.Writer
	ino       uint32
	remaining int64 // body bytes still owed for the current entry
	bodyPad   int64 // padding owed after the current body
	closed    bool
}

// NewWriter returns a Writer appending to w.
func NewWriter(w io.Writer) *Writer { return &Writer{w: w} }

// ErrBodySize reports a body that does not match its header's Size.
var ErrBodySize = errors.New("newc: body does not match header size")

// WriteHeader starts a new entry. The previous entry's body must be complete.
func (w *Writer) WriteHeader(h *Header) error {
	if w.closed {
		return errors.New("newc: write after close")
	}
	if err := w.finishEntry(); err != nil {
		return err
	}
	if h.Name == "" || h.Name[0] == '/' {
		return fmt.Errorf("newc: entry name %q must be relative and non-empty", h.Name)
	}
	hdr := *h
	switch hdr.Type() {
	case TypeSymlink:
		hdr.Size = int64(len(hdr.Linkname))
	case TypeDir, TypeChar, TypeBlock:
		hdr.Size = 0
	}
	if hdr.Nlink == 0 {
		hdr.Nlink = 1
		if hdr.Type() == TypeDir {
			hdr.Nlink = 2
		}
	}
	w.ino++
	b := hdr.encode(w.ino)
	b = append(b, make([]byte, pad(int64(len(b))))...)
	if _, err := w.w.Write(b); err != nil {
		return fmt.Errorf("newc: write header of %s: %w", hdr.Name, err)
	}
	w.remaining, w.bodyPad = hdr.Size, pad(hdr.Size)
	if hdr.Type() == TypeSymlink {
		return w.writeBody([]byte(hdr.Linkname))
	}
	return nil
}

// Write writes body bytes of the current entry.
func (w *Writer) Write(p []byte) (int, error) {
	if int64(len(p)) > w.remaining {
		return 0, fmt.Errorf("%w: %d bytes too many", ErrBodySize, int64(len(p))-w.remaining)
	}
	n, err := w.w.Write(p)
	w.remaining -= int64(n)
	return n, err
}

func (w *Writer) writeBody(p []byte) error {
	_, err := w.Write(p)
	return err
}

// finishEntry checks the body is complete and writes its padding.
func (w *Writer) finishEntry() error {
	if w.remaining != 0 {
		return fmt.Errorf("%w: %d bytes missing", ErrBodySize, w.remaining)
	}
	if w.bodyPad > 0 {
		if _, err := w.w.Write(make([]byte, w.bodyPad)); err != nil {
			return fmt.Errorf("newc: write padding: %w", err)
		}
		w.bodyPad = 0
	}
	return nil
}

// Close writes the trailer entry. It does not close the underlying writer.
func (w *Writer) Close() error {
	if w.closed {
		return nil
	}
	if err := w.WriteHeader(&Header{Name: trailer}); err != nil {
		return err
	}
	w.closed = true
	return w.finishEntry()
}
