package image

import (
	"bufio"
	"context"
	"fmt"
	"os/exec"
	"path"
	"strings"
)

// parseLdd reads ldd(1) output and returns the absolute paths of the shared
// libraries and the dynamic loader, in order. The vDSO has no file and is
// skipped; a library ldd could not find is an error.
func parseLdd(out string) ([]string, error) {
	var libs []string
	sc := bufio.NewScanner(strings.NewReader(out))
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.Contains(line, "statically linked") || strings.Contains(line, "not a dynamic executable") {
			continue
		}
		if name, target, ok := strings.Cut(line, "=>"); ok {
			target = strings.TrimSpace(target)
			if strings.HasPrefix(target, "not found") {
				return nil, fmt.Errorf("shared library %s: not found", strings.TrimSpace(name))
			}
			line = target
		}
		if p := strings.Fields(line); len(p) > 0 && strings.HasPrefix(p[0], "/") {
			libs = append(libs, p[0])
		}
	}
	return libs, sc.Err()
}

// sharedLibs runs ldd on a host binary.
func sharedLibs(ctx context.Context, binary string) ([]string, error) {
	out, err := exec.CommandContext(ctx, "ldd", binary).Output()
	if err != nil {
		// ldd exits non-zero for static binaries; its stdout still says so.
		if strings.Contains(string(out), "not a dynamic executable") {
			return nil, nil
		}
		return nil, fmt.Errorf("ldd %s: %w", binary, err)
	}
	return parseLdd(string(out))
}

// addProgram copies a host program to the same path in the image, with the
// shared libraries and loader it needs at the paths ldd names.
func (b *builder) addProgram(ctx context.Context, src string) error {
	if err := b.addHost(src, src); err != nil {
		return err
	}
	libs, err := sharedLibs(ctx, src)
	if err != nil {
		return err
	}
	for _, lib := range libs {
		if err := b.addHost(lib, lib); err != nil {
			return fmt.Errorf("%s needs %w", src, err)
		}
	}
	return nil
}

// excludedApplets are busybox applets not linked into the image: init is
// ours, and the real watchdog daemon must not be shadowed by busybox's.
var excludedApplets = map[string]bool{"init": true, "linuxrc": true, "watchdog": true}

// appletLinks turns `busybox --list-full` into image paths for symlinks to
// /bin/busybox, skipping excluded applets, busybox itself and any name a
// real program in the image already has.
func appletLinks(listFull string, taken func(name string) bool) []string {
	var out []string
	for _, line := range strings.Fields(listFull) {
		name := path.Base(line)
		if excludedApplets[name] || name == "busybox" || taken(name) {
			continue
		}
		out = append(out, "/"+strings.TrimPrefix(line, "/"))
	}
	return out
}

func (b *builder) addBusybox(ctx context.Context) error {
	if err := b.addHost(busyboxPath, busyboxPath); err != nil {
		return err
	}
	out, err := exec.CommandContext(ctx, busyboxPath, "--list-full").Output()
	if err != nil {
		return fmt.Errorf("%s --list-full: %w", busyboxPath, err)
	}
	realNames := map[string]bool{}
	for _, p := range []string{qemuGAPath, watchdogPath, lspciPath, pkillPath} {
		realNames[path.Base(p)] = true
	}
	links := appletLinks(string(out), func(name string) bool { return realNames[name] })
	for _, l := range links {
		if b.tree.has(l) {
			continue
		}
		if err := b.tree.symlink(l, busyboxPath); err != nil {
			return err
		}
	}
	b.log.Debug("busybox applets linked", "count", len(links))
	return nil
}
