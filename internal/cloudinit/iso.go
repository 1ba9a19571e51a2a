package cloudinit

import (
	"encoding/binary"
	"fmt"
	"os"
	"path/filepath"

	"github.com/diskfs/go-diskfs/backend/file"
	"github.com/diskfs/go-diskfs/filesystem/iso9660"
)

const (
	sectorSize = 2048
	// pvdSector is where the primary volume descriptor lives (ECMA-119 8.4).
	pvdSector = 16
	// volumeSpaceSizeOffset is the PVD's volume space size, in sectors,
	// little-endian half of a both-endian 32-bit field.
	volumeSpaceSizeOffset = 80
)

// writeISO writes an ISO9660 image with Rock Ridge and Joliet names into f,
// one file per entry of files, all in the root directory.
func writeISO(f *os.File, label string, files map[string][]byte) error {
	workspace, err := os.MkdirTemp("", "vigil-cidata-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(workspace)
	for name, data := range files {
		if err := os.WriteFile(filepath.Join(workspace, name), data, 0o644); err != nil {
			return err
		}
	}
	fs, err := iso9660.Create(file.New(f, false), 0, 0, sectorSize, workspace)
	if err != nil {
		return fmt.Errorf("iso9660: %w", err)
	}
	opts := iso9660.FinalizeOptions{RockRidge: true, Joliet: true, VolumeIdentifier: label}
	if err := fs.Finalize(opts); err != nil {
		return fmt.Errorf("iso9660: %w", err)
	}
	return padToVolumeSize(f)
}

// padToVolumeSize extends f to the volume size its primary volume
// descriptor declares. The writer may stop inside the last sector; a disk
// shorter than its declared size loses that sector when QEMU rounds a
// CD-ROM's size down to whole sectors.
func padToVolumeSize(f *os.File) error {
	pvd := make([]byte, sectorSize)
	if _, err := f.ReadAt(pvd, pvdSector*sectorSize); err != nil {
		return fmt.Errorf("iso9660: read primary volume descriptor: %w", err)
	}
	want := int64(binary.LittleEndian.Uint32(pvd[volumeSpaceSizeOffset:])) * sectorSize
	st, err := f.Stat()
	if err != nil {
		return err
	}
	size := st.Size()
	if size < want {
		size = want
	}
	if rem := size % sectorSize; rem != 0 {
		size += sectorSize - rem
	}
	if size == st.Size() {
		return nil
	}
	return f.Truncate(size)
}
