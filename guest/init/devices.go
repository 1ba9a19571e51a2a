package main

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// pollInterval paces waits for devices that the kernel creates
// asynchronously after a driver loads.
const pollInterval = 50 * time.Millisecond

// waitFor polls cond until it holds or timeout passes.
func waitFor(timeout time.Duration, cond func() bool) bool {
	deadline := time.Now().Add(timeout)
	for {
		if cond() {
			return true
		}
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(pollInterval)
	}
}

// linkVirtioPorts makes /dev/virtio-ports/NAME -> ../vportXpY for every
// named virtio-serial port (udev's job on a full system) and returns the
// names it saw.
func linkVirtioPorts() ([]string, error) {
	entries, err := os.ReadDir("/sys/class/virtio-ports")
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll("/dev/virtio-ports", 0o755); err != nil {
		return nil, err
	}
	var names []string
	var errs []error
	for _, e := range entries {
		raw, err := os.ReadFile(filepath.Join("/sys/class/virtio-ports", e.Name(), "name"))
		name := strings.TrimSpace(string(raw))
		if err != nil || name == "" || strings.Contains(name, "/") {
			continue
		}
		names = append(names, name)
		link := filepath.Join("/dev/virtio-ports", name)
		if err := os.Symlink("../"+e.Name(), link); err != nil && !errors.Is(err, os.ErrExist) {
			errs = append(errs, err)
		}
	}
	return names, errors.Join(errs...)
}

func exists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}
