package kmod

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"path"
	"slices"
	"strings"
)

// ErrUnknown reports a module name that modules.dep does not list.
var ErrUnknown = errors.New("module not in modules.dep")

// Deps maps a module's path (relative to /lib/modules/VERSION, as written in
// modules.dep) to its dependencies' paths, in modules.dep order.
type Deps struct {
	deps  map[string][]string
	byNm  map[string]string
	order []string // paths in file order, for deterministic output
}

// Parse reads modules.dep ("path: dep1 dep2 ...", one module per line).
func Parse(r io.Reader) (*Deps, error) {
	d := &Deps{deps: map[string][]string{}, byNm: map[string]string{}}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64*1024), 1024*1024)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		mod, rest, ok := strings.Cut(line, ":")
		if !ok || mod == "" {
			return nil, fmt.Errorf("modules.dep line %d: missing \"path:\" in %q", n, line)
		}
		d.add(mod, strings.Fields(rest))
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("read modules.dep: %w", err)
	}
	return d, nil
}

func (d *Deps) add(mod string, deps []string) {
	if _, dup := d.deps[mod]; !dup {
		d.order = append(d.order, mod)
	}
	d.deps[mod] = deps
	d.byNm[Name(mod)] = mod
}

// Name turns a module path into the name the kernel uses:
// "kernel/drivers/net/virtio_net.ko.xz" -> "virtio_net"; dashes become underscores.
func Name(p string) string {
	base := path.Base(p)
	if i := strings.Index(base, ".ko"); i >= 0 {
		base = base[:i]
	}
	return strings.ReplaceAll(base, "-", "_")
}

// Path returns the modules.dep path of the module called name.
func (d *Deps) Path(name string) (string, bool) {
	p, ok := d.byNm[strings.ReplaceAll(name, "-", "_")]
	return p, ok
}

// LoadOrder returns the paths of the named modules and of everything they
// depend on, each once, dependencies first. Names keep their given order
// where dependencies allow it.
func (d *Deps) LoadOrder(names []string) ([]string, error) {
	var out []string
	state := map[string]int{} // 0 unseen, 1 in progress, 2 done
	var visit func(p string, chain []string) error
	visit = func(p string, chain []string) error {
		switch state[p] {
		case 1:
			return fmt.Errorf("module dependency cycle: %s", strings.Join(append(chain, Name(p)), " -> "))
		case 2:
			return nil
		}
		state[p] = 1
		deps := d.deps[p]
		// modules.dep lists the deepest dependency last; walk it first like modprobe.
		for _, dep := range slices.Backward(deps) {
			if _, ok := d.deps[dep]; !ok {
				return fmt.Errorf("%s needs %s: %w", Name(p), dep, ErrUnknown)
			}
			if err := visit(dep, append(chain, Name(p))); err != nil {
				return err
			}
		}
		state[p] = 2
		out = append(out, p)
		return nil
	}
	for _, n := range names {
		p, ok := d.Path(n)
		if !ok {
			return nil, fmt.Errorf("%s: %w", n, ErrUnknown)
		}
		if err := visit(p, nil); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// Subset renders modules.dep restricted to the given paths (which must be
// closed under dependencies, as LoadOrder's result is), in file order.
func (d *Deps) Subset(paths []string) string {
	keep := map[string]bool{}
	for _, p := range paths {
		keep[p] = true
	}
	var b strings.Builder
	for _, p := range d.order {
		if !keep[p] {
			continue
		}
		b.WriteString(p + ":")
		for _, dep := range d.deps[p] {
			b.WriteString(" " + dep)
		}
		b.WriteString("\n")
	}
	return b.String()
}
