package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"time"

	"golang.org/x/sys/unix"
)

const (
	seedLabel = "cidata"
	seedDir   = "/run/vigil/cidata"
	// seedWait bounds the search for the cidata disk: virtio disks appear
	// while their module loads, CD-ROMs behind ATA are probed asynchronously.
	seedWait = 3 * time.Second
	isoBlock = 2048
)

var errNotISO = errors.New("no ISO9660 primary volume descriptor")

// seedCandidate matches whole disks that may carry a NoCloud seed.
var seedCandidate = regexp.MustCompile(`^(vd[a-z]+|sd[a-z]+|hd[a-z]+|sr[0-9]+)$`)

// isoLabel reads the volume identifier of an ISO9660 image: the primary
// volume descriptor is block 16; the identifier is bytes 40..71, space padded.
func isoLabel(r io.ReaderAt) (string, error) {
	pvd := make([]byte, isoBlock)
	if _, err := r.ReadAt(pvd, 16*isoBlock); err != nil {
		return "", fmt.Errorf("read volume descriptor: %w", err)
	}
	if pvd[0] != 1 || string(pvd[1:6]) != "CD001" {
		return "", errNotISO
	}
	return strings.TrimRight(string(pvd[40:72]), " \x00"), nil
}

// findSeed returns the device node of the disk labelled cidata.
func findSeed() (string, bool) {
	var dev string
	found := waitFor(seedWait, func() bool {
		entries, _ := os.ReadDir("/sys/class/block")
		names := make([]string, 0, len(entries))
		for _, e := range entries {
			if seedCandidate.MatchString(e.Name()) {
				names = append(names, e.Name())
			}
		}
		sort.Strings(names)
		for _, n := range names {
			if label, err := deviceLabel("/dev/" + n); err == nil && strings.EqualFold(label, seedLabel) {
				dev = "/dev/" + n
				return true
			}
		}
		return false
	})
	return dev, found
}

func deviceLabel(dev string) (string, error) {
	f, err := os.Open(dev)
	if err != nil {
		return "", err
	}
	defer f.Close()
	return isoLabel(f)
}

// seedFiles is what the seed disk holds for us.
type seedFiles struct {
	metaData, userData []byte
	hasNetworkConfig   bool
}

// readSeed mounts the seed read-only, reads it into memory and unmounts it.
func readSeed(dev string) (seedFiles, error) {
	var s seedFiles
	if err := os.MkdirAll(seedDir, 0o755); err != nil {
		return s, err
	}
	if err := unix.Mount(dev, seedDir, "iso9660", unix.MS_RDONLY|unix.MS_NOSUID|unix.MS_NODEV, ""); err != nil {
		return s, fmt.Errorf("mount %s: %w", dev, err)
	}
	defer unix.Unmount(seedDir, 0)
	var err error
	if s.metaData, err = os.ReadFile(filepath.Join(seedDir, "meta-data")); err != nil && !errors.Is(err, os.ErrNotExist) {
		return s, fmt.Errorf("read meta-data: %w", err)
	}
	if s.userData, err = os.ReadFile(filepath.Join(seedDir, "user-data")); err != nil && !errors.Is(err, os.ErrNotExist) {
		return s, fmt.Errorf("read user-data: %w", err)
	}
	s.hasNetworkConfig = exists(filepath.Join(seedDir, "network-config"))
	return s, nil
}
