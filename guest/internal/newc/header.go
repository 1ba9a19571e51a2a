package newc

import (
	"fmt"
	"strconv"
)

// File type bits of Header.Mode, as in <sys/stat.h>.
const (
	TypeMask    uint32 = 0o170000
	TypeRegular uint32 = 0o100000
	TypeDir     uint32 = 0o040000
	TypeSymlink uint32 = 0o120000
	TypeChar    uint32 = 0o020000
	TypeBlock   uint32 = 0o060000
)

const (
	magic      = "070701"
	headerLen  = 110
	trailer    = "TRAILER!!!"
	fieldCount = 13
)

// Header describes one archive entry. Mode carries the file type bits
// (TypeRegular, TypeDir, ...) and the permission bits together, as st_mode does.
type Header struct {
	Name     string // path inside the archive, without a leading "/"
	Mode     uint32
	UID, GID uint32
	Nlink    uint32
	Mtime    int64 // seconds since the epoch
	Size     int64 // body length; for symlinks the length of Linkname
	Linkname string
	// RdevMajor and RdevMinor name the device of a TypeChar or TypeBlock node.
	RdevMajor, RdevMinor uint32
}

// Type returns the file type bits of h.Mode.
func (h *Header) Type() uint32 { return h.Mode & TypeMask }

// encode renders the 110-byte header followed by the NUL-terminated name
// (without padding). ino numbers the entry.
func (h *Header) encode(ino uint32) []byte {
	fields := [fieldCount]uint32{
		ino, h.Mode, h.UID, h.GID, h.Nlink, uint32(h.Mtime), uint32(h.Size),
		0, 0, h.RdevMajor, h.RdevMinor, uint32(len(h.Name) + 1), 0,
	}
	b := make([]byte, 0, headerLen+len(h.Name)+1)
	b = append(b, magic...)
	for _, f := range fields {
		b = fmt.Appendf(b, "%08x", f)
	}
	b = append(b, h.Name...)
	return append(b, 0)
}

// decodeFields parses the 13 hex fields after the magic.
func decodeFields(raw []byte) ([fieldCount]uint32, error) {
	var out [fieldCount]uint32
	if len(raw) != headerLen || string(raw[:6]) != magic {
		return out, fmt.Errorf("bad newc magic %q", raw[:min(6, len(raw))])
	}
	for i := range out {
		s := string(raw[6+8*i : 14+8*i])
		v, err := strconv.ParseUint(s, 16, 32)
		if err != nil {
			return out, fmt.Errorf("header field %d %q: %w", i, s, err)
		}
		out[i] = uint32(v)
	}
	return out, nil
}

// pad returns how many bytes bring n up to a multiple of 4.
func pad(n int64) int64 { return (4 - n%4) % 4 }
