package image

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
)

// ManifestFile is the name of the manifest in an image directory.
const ManifestFile = "manifest.json"

// Manifest records what an image holds and where it came from.
type Manifest struct {
	Image         string      `json:"image"`
	KernelVersion string      `json:"kernelVersion"`
	Kernel        Artifact    `json:"kernel"`
	Initrd        Artifact    `json:"initrd"`
	Packages      []Package   `json:"packages"`
	Modules       []string    `json:"modules"` // in load order
	Files         []FileEntry `json:"files"`
}

// Artifact is one file of the image directory.
type Artifact struct {
	File   string `json:"file"`
	Size   int64  `json:"size"`
	SHA256 string `json:"sha256"`
}

// Package is a Debian package the image took files from.
type Package struct {
	Name    string `json:"name"`
	Version string `json:"version"`
}

// FileEntry is one entry of the initramfs.
type FileEntry struct {
	Path   string `json:"path"`
	Type   string `json:"type"` // file, dir, symlink, char
	Mode   string `json:"mode"` // octal permissions
	Size   int64  `json:"size,omitempty"`
	Link   string `json:"link,omitempty"`
	Source string `json:"source,omitempty"` // host file it was copied from
}

// ReadManifest reads dir/manifest.json.
func ReadManifest(dir string) (*Manifest, error) {
	data, err := os.ReadFile(filepath.Join(dir, ManifestFile))
	if err != nil {
		return nil, fmt.Errorf("image manifest: %w", err)
	}
	var m Manifest
	if err := json.Unmarshal(data, &m); err != nil {
		return nil, fmt.Errorf("image manifest %s: %w", filepath.Join(dir, ManifestFile), err)
	}
	return &m, nil
}

func (t *tree) manifestFiles() []FileEntry {
	kinds := map[entryKind]string{kindDir: "dir", kindFile: "file", kindLink: "symlink", kindChar: "char"}
	var out []FileEntry
	for _, p := range t.paths() {
		e := t.entries[p]
		out = append(out, FileEntry{Path: "/" + p, Type: kinds[e.kind], Mode: fmt.Sprintf("%04o", uint32(e.perm.Perm())),
			Size: e.size, Link: e.link, Source: e.src})
	}
	return out
}

// parseDpkgSearch reads `dpkg-query -S` output ("pkg1, pkg2:arch: /path")
// and returns the package names, without architecture, sorted and unique.
func parseDpkgSearch(out string) []string {
	set := map[string]bool{}
	sc := bufio.NewScanner(strings.NewReader(out))
	for sc.Scan() {
		line := sc.Text()
		if strings.HasPrefix(line, "diversion by") {
			continue
		}
		pkgs, _, ok := strings.Cut(line, ": /")
		if !ok {
			continue
		}
		for _, p := range strings.Split(pkgs, ",") {
			name, _, _ := strings.Cut(strings.TrimSpace(p), ":")
			if name != "" {
				set[name] = true
			}
		}
	}
	names := make([]string, 0, len(set))
	for n := range set {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// dpkgNames returns the names dpkg may know each host file by: with
// merged /usr, a library reached as /lib/x86_64-linux-gnu/libfoo.so.1 may be
// registered as /usr/lib/..., and often only under its versioned real name.
func dpkgNames(paths []string) []string {
	seen := map[string]bool{}
	var out []string
	add := func(p string) {
		other := "/usr" + p
		if strings.HasPrefix(p, "/usr/") {
			other = strings.TrimPrefix(p, "/usr")
		}
		for _, v := range []string{p, other} {
			if !seen[v] {
				seen[v] = true
				out = append(out, v)
			}
		}
	}
	for _, p := range paths {
		add(p)
		if real, err := filepath.EvalSymlinks(p); err == nil {
			add(real)
		}
	}
	return out
}

// packageVersions asks dpkg which packages own the host files and at which
// versions. Hosts without dpkg get an empty list and an error to log.
func packageVersions(ctx context.Context, paths []string) ([]Package, error) {
	if len(paths) == 0 {
		return nil, nil
	}
	// Exit status 1 only means some path belongs to no package; stdout still lists the rest.
	out, err := exec.CommandContext(ctx, "dpkg-query", append([]string{"-S"}, dpkgNames(paths)...)...).Output()
	names := parseDpkgSearch(string(out))
	if len(names) == 0 {
		return nil, fmt.Errorf("dpkg-query -S: no owning packages found: %v", err)
	}
	out, err = exec.CommandContext(ctx, "dpkg-query", append([]string{"-W", "-f", "${Package}\t${Version}\n"}, names...)...).Output()
	if err != nil {
		return nil, fmt.Errorf("dpkg-query -W: %w", err)
	}
	var pkgs []Package
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		if name, version, ok := strings.Cut(line, "\t"); ok {
			pkgs = append(pkgs, Package{Name: name, Version: version})
		}
	}
	return pkgs, nil
}
