package main

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"time"

	"golang.org/x/sys/unix"

	"vigil.dev/vigil/guest/internal/kmod"
)

// modulesLoadFile lists the modules to load at boot, one name a line; the
// image builder writes it together with a trimmed modules.dep.
const modulesLoadFile = "/etc/vigil/modules.load"

// loadModules loads the listed modules and their dependencies in order. A
// module that fails is logged and skipped; the guest boots with what works.
func loadModules(log *slog.Logger) {
	start := time.Now()
	release, err := kernelRelease()
	if err != nil {
		log.Error("modules not loaded", "err", err)
		return
	}
	names, err := readNameList(modulesLoadFile)
	if err != nil {
		log.Error("modules not loaded", "err", err)
		return
	}
	base := filepath.Join("/lib/modules", release)
	order, err := moduleOrder(base, names)
	if err != nil {
		log.Error("modules not loaded", "err", err)
		return
	}
	loaded := 0
	for _, rel := range order {
		if err := loadModule(filepath.Join(base, rel)); err != nil {
			log.Warn("module not loaded", "module", kmod.Name(rel), "err", err)
			continue
		}
		log.Debug("module loaded", "module", kmod.Name(rel))
		loaded++
	}
	log.Info("modules loaded", "count", loaded, "of", len(order), "took", time.Since(start).Round(time.Millisecond))
}

func moduleOrder(base string, names []string) ([]string, error) {
	f, err := os.Open(filepath.Join(base, "modules.dep"))
	if err != nil {
		return nil, fmt.Errorf("open modules.dep: %w", err)
	}
	defer f.Close()
	deps, err := kmod.Parse(f)
	if err != nil {
		return nil, err
	}
	return deps.LoadOrder(names)
}

// loadModule loads one .ko with finit_module; an already loaded module is fine.
func loadModule(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	flags := 0
	if compressedModule(path) {
		flags = unix.MODULE_INIT_COMPRESSED_FILE // the kernel decompresses (the builder checked it can)
	}
	err = unix.FinitModule(int(f.Fd()), "", flags)
	if errors.Is(err, unix.EEXIST) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("finit_module %s: %w", path, err)
	}
	return nil
}

func compressedModule(path string) bool {
	for _, ext := range []string{".ko.xz", ".ko.zst", ".ko.gz"} {
		if strings.HasSuffix(path, ext) {
			return true
		}
	}
	return false
}

func kernelRelease() (string, error) {
	var u unix.Utsname
	if err := unix.Uname(&u); err != nil {
		return "", fmt.Errorf("uname: %w", err)
	}
	return string(bytes.TrimRight(u.Release[:], "\x00")), nil
}

// readNameList reads one name per line, ignoring blanks and # comments.
func readNameList(path string) ([]string, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var out []string
	sc := bufio.NewScanner(bytes.NewReader(data))
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line != "" && !strings.HasPrefix(line, "#") {
			out = append(out, line)
		}
	}
	return out, nil
}
