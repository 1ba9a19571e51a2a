package images

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
)

// qcow2 header fields (big-endian), from QEMU's docs/interop/qcow2.txt.
const (
	qcow2Magic            = "QFI\xfb"
	qcow2V2HeaderLen      = 72
	qcow2V3HeaderLen      = 104
	qcow2VersionOff       = 4
	qcow2BackingOffsetOff = 8
	qcow2SizeOff          = 24
	qcow2CryptOff         = 32
	qcow2IncompatOff      = 72     // version 3 only
	qcow2ExternalDataBit  = 1 << 2 // incompatible feature: data in another file
	probeLen              = 512
)

// foreignFormats are disk formats Import refuses, with their magic at
// offset 0: QEMU could read some of them, but the store keeps qcow2 and raw.
var foreignFormats = []struct{ magic, name string }{
	{"KDMV", "vmdk"},
	{"vhdxfile", "vhdx"},
	{"conectix", "vhd"},
	{"<<< Oracle VM VirtualBox Disk Image >>>", "vdi"},
	{"\x1f\x8b", "gzip-compressed"},
	{"\xfd7zXZ\x00", "xz-compressed"},
	{"\x28\xb5\x2f\xfd", "zstd-compressed"},
}

// diskInfo is what inspectDisk learned from a file's header.
type diskInfo struct {
	format      string
	virtualSize int64
}

// inspectDisk tells qcow2 from raw by the magic and checks that the file
// can be stored on its own.
func inspectDisk(path string) (diskInfo, error) {
	if err := nonEmptyFile(path); err != nil {
		return diskInfo{}, err
	}
	f, err := os.Open(path)
	if err != nil {
		return diskInfo{}, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return diskInfo{}, err
	}
	head := make([]byte, probeLen)
	n, err := f.ReadAt(head, 0)
	if err != nil && !errors.Is(err, io.EOF) {
		return diskInfo{}, err
	}
	return classify(head[:n], st.Size())
}

// classify decides the format from the first bytes of a file of size bytes.
func classify(head []byte, size int64) (diskInfo, error) {
	if bytes.HasPrefix(head, []byte(qcow2Magic)) {
		return qcow2Info(head)
	}
	for _, f := range foreignFormats {
		if bytes.HasPrefix(head, []byte(f.magic)) {
			return diskInfo{}, fmt.Errorf("a %s image is not supported: convert it to qcow2 or raw first "+
				"(qemu-img convert -O qcow2 IN OUT, or decompress it)", f.name)
		}
	}
	return diskInfo{format: FormatRaw, virtualSize: size}, nil
}

func qcow2Info(head []byte) (diskInfo, error) {
	be := binary.BigEndian
	if len(head) < qcow2V2HeaderLen {
		return diskInfo{}, errors.New("qcow2 header is truncated")
	}
	version := be.Uint32(head[qcow2VersionOff:])
	switch {
	case version != 2 && version != 3:
		return diskInfo{}, fmt.Errorf("qcow2 version %d is not supported (want 2 or 3)", version)
	case version == 3 && len(head) < qcow2V3HeaderLen:
		return diskInfo{}, errors.New("qcow2 header is truncated")
	case be.Uint64(head[qcow2BackingOffsetOff:]) != 0:
		return diskInfo{}, errors.New("qcow2 image has a backing file: flatten it first (qemu-img convert -O qcow2 IN OUT)")
	case be.Uint32(head[qcow2CryptOff:]) != 0:
		return diskInfo{}, errors.New("encrypted qcow2 images are not supported")
	case version == 3 && be.Uint64(head[qcow2IncompatOff:])&qcow2ExternalDataBit != 0:
		return diskInfo{}, errors.New("qcow2 image keeps its data in an external file: convert it first (qemu-img convert -O qcow2 IN OUT)")
	}
	return diskInfo{format: FormatQcow2, virtualSize: int64(be.Uint64(head[qcow2SizeOff:]))}, nil
}
