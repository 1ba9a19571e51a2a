package image

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"unicode"

	"vigil.dev/vigil/guest/internal/kmod"
)

const (
	modulesRoot = "/lib/modules"
	bootDir     = "/boot"
)

// pickKernel returns the newest version that has both a module tree under
// modulesRoot and a kernel image bootDir/vmlinuz-VERSION.
func pickKernel(modulesRoot, bootDir string) (string, error) {
	entries, err := os.ReadDir(modulesRoot)
	if err != nil {
		return "", fmt.Errorf("kernel: %w", err)
	}
	best := ""
	for _, e := range entries {
		v := e.Name()
		if _, err := os.Stat(filepath.Join(bootDir, "vmlinuz-"+v)); err != nil {
			continue
		}
		if best == "" || compareVersions(v, best) > 0 {
			best = v
		}
	}
	if best == "" {
		return "", fmt.Errorf("kernel: no version in %s has %s/vmlinuz-VERSION: %w", modulesRoot, bootDir, ErrMissing)
	}
	return best, nil
}

// compareVersions orders kernel versions like "6.1.0-56-amd64": runs of
// digits compare as numbers, everything else as text.
func compareVersions(a, b string) int {
	pa, pb := versionParts(a), versionParts(b)
	for i := 0; i < len(pa) && i < len(pb); i++ {
		x, errX := strconv.Atoi(pa[i])
		y, errY := strconv.Atoi(pb[i])
		switch {
		case errX == nil && errY == nil && x != y:
			if x < y {
				return -1
			}
			return 1
		case (errX != nil || errY != nil) && pa[i] != pb[i]:
			return strings.Compare(pa[i], pb[i])
		}
	}
	return len(pa) - len(pb)
}

func versionParts(v string) []string {
	var parts []string
	cur, digits := "", false
	for _, r := range v {
		d := unicode.IsDigit(r)
		if cur != "" && d != digits {
			parts = append(parts, cur)
			cur = ""
		}
		cur += string(r)
		digits = d
	}
	if cur != "" {
		parts = append(parts, cur)
	}
	return parts
}

// builtinModules reads modules.builtin: names compiled into the kernel.
func builtinModules(dir string) map[string]bool {
	out := map[string]bool{}
	f, err := os.Open(filepath.Join(dir, "modules.builtin"))
	if err != nil {
		return out
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		out[kmod.Name(sc.Text())] = true
	}
	return out
}

// kernelDecompresses reports whether the kernel config allows finit_module
// with MODULE_INIT_COMPRESSED_FILE.
func kernelDecompresses(version string) bool {
	data, err := os.ReadFile(filepath.Join(bootDir, "config-"+version))
	return err == nil && strings.Contains(string(data), "\nCONFIG_MODULE_DECOMPRESS=y")
}

// addModules copies the wanted modules and their dependencies, writes a
// modules.dep restricted to them and /etc/vigil/modules.load (the wanted
// names, for the guest's init). It returns the load order.
func (b *builder) addModules(version string, wanted []string) ([]string, error) {
	dir := filepath.Join(modulesRoot, version)
	f, err := os.Open(filepath.Join(dir, "modules.dep"))
	if err != nil {
		return nil, fmt.Errorf("kernel %s modules: %w", version, err)
	}
	defer f.Close()
	deps, err := kmod.Parse(f)
	if err != nil {
		return nil, fmt.Errorf("kernel %s: %w", version, err)
	}
	builtin := builtinModules(dir)
	var load []string
	for _, name := range wanted {
		if _, ok := deps.Path(name); !ok && builtin[strings.ReplaceAll(name, "-", "_")] {
			b.log.Debug("module built into the kernel", "module", name)
			continue
		}
		load = append(load, name)
	}
	order, err := deps.LoadOrder(load)
	if err != nil {
		return nil, fmt.Errorf("kernel %s: %w", version, err)
	}
	for _, rel := range order {
		if compressedModule(rel) && !kernelDecompresses(version) {
			return nil, fmt.Errorf("kernel %s: module %s is compressed and the kernel cannot decompress modules", version, rel)
		}
		if err := b.addHost(filepath.Join(dir, rel), filepath.Join(dir, rel)); err != nil {
			return nil, err
		}
	}
	if err := b.tree.data(filepath.Join(dir, "modules.dep"), 0o644, []byte(deps.Subset(order))); err != nil {
		return nil, err
	}
	list := "# kernel modules vigil-init loads at boot (dependencies come from modules.dep)\n" + strings.Join(load, "\n") + "\n"
	if err := b.tree.data("/etc/vigil/modules.load", 0o644, []byte(list)); err != nil {
		return nil, err
	}
	names := make([]string, len(order))
	for i, rel := range order {
		names[i] = kmod.Name(rel)
	}
	return names, nil
}

func compressedModule(p string) bool {
	return strings.HasSuffix(p, ".ko.xz") || strings.HasSuffix(p, ".ko.zst") || strings.HasSuffix(p, ".ko.gz")
}
