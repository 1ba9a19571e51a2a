package images

import (
	"encoding/binary"
	"strings"
	"testing"
)

// qcow2Header builds a header with the fields classify reads.
func qcow2Header(version uint32, backing uint64, crypt uint32, incompat uint64, size uint64) []byte {
	h := make([]byte, 512)
	copy(h, qcow2Magic)
	be := binary.BigEndian
	be.PutUint32(h[qcow2VersionOff:], version)
	be.PutUint64(h[qcow2BackingOffsetOff:], backing)
	be.PutUint64(h[qcow2SizeOff:], size)
	be.PutUint32(h[qcow2CryptOff:], crypt)
	be.PutUint64(h[qcow2IncompatOff:], incompat)
	return h
}

func TestClassify(t *testing.T) {
	cases := []struct {
		name       string
		head       []byte
		wantFormat string
		wantSize   int64
		wantErr    string
	}{
		{"qcow2 v3", qcow2Header(3, 0, 0, 0, 1<<30), FormatQcow2, 1 << 30, ""},
		{"qcow2 v2", qcow2Header(2, 0, 0, 0, 1<<20)[:72], FormatQcow2, 1 << 20, ""},
		{"qcow2 v3 dirty bit is fine", qcow2Header(3, 0, 0, 1, 4096), FormatQcow2, 4096, ""},
		{"raw", []byte("\xeb\x63\x90 boot sector"), FormatRaw, 1000, ""},
		{"backing file", qcow2Header(3, 0x200, 0, 0, 1), "", 0, "backing file"},
		{"encrypted", qcow2Header(2, 0, 1, 0, 1), "", 0, "encrypted"},
		{"external data", qcow2Header(3, 0, 0, qcow2ExternalDataBit, 1), "", 0, "external file"},
		{"version 4", qcow2Header(4, 0, 0, 0, 1), "", 0, "version 4"},
		{"truncated", qcow2Header(3, 0, 0, 0, 1)[:40], "", 0, "truncated"},
		{"v3 truncated", qcow2Header(3, 0, 0, 0, 1)[:90], "", 0, "truncated"},
		{"vhdx", []byte("vhdxfile and more"), "", 0, "vhdx image is not supported"},
		{"xz", []byte("\xfd7zXZ\x00..."), "", 0, "xz-compressed"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			info, err := classify(tc.head, 1000)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err = %v, want %q", err, tc.wantErr)
				}
				return
			}
			if err != nil || info.format != tc.wantFormat || info.virtualSize != tc.wantSize {
				t.Errorf("got %+v, %v; want %s %d", info, err, tc.wantFormat, tc.wantSize)
			}
		})
	}
}
