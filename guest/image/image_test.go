package image

import (
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"testing"

	"vigil.dev/vigil/guest/internal/newc"
)

const lddQemuGA = `	linux-vdso.so.1 (0x00007ffd3b5f9000)
	libglib-2.0.so.0 => /lib/x86_64-linux-gnu/libglib-2.0.so.0 (0x00007f47c7d78000)
	libc.so.6 => /lib/x86_64-linux-gnu/libc.so.6 (0x00007f47c7aae000)
	/lib64/ld-linux-x86-64.so.2 (0x00007f47c7ffc000)
`

func TestParseLdd(t *testing.T) {
	got, err := parseLdd(lddQemuGA)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"/lib/x86_64-linux-gnu/libglib-2.0.so.0", "/lib/x86_64-linux-gnu/libc.so.6", "/lib64/ld-linux-x86-64.so.2"}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("parseLdd = %q, want %q", got, want)
	}
	if libs, err := parseLdd("\tstatically linked\n"); err != nil || len(libs) != 0 {
		t.Fatalf("static: %q, %v", libs, err)
	}
	if _, err := parseLdd("\tlibmissing.so.1 => not found\n"); err == nil {
		t.Fatal("missing library accepted")
	}
}

func TestAppletLinks(t *testing.T) {
	list := "bin/busybox\nbin/sh\nsbin/init\nlinuxrc\nsbin/watchdog\nusr/bin/[\nsbin/udhcpc\nusr/bin/pkill\n"
	got := appletLinks(list, func(name string) bool { return name == "pkill" })
	if want := []string{"/bin/sh", "/usr/bin/[", "/sbin/udhcpc"}; !reflect.DeepEqual(got, want) {
		t.Fatalf("appletLinks = %q, want %q", got, want)
	}
}

func TestCompareVersions(t *testing.T) {
	cases := []struct {
		a, b string
		sign int
	}{
		{"6.1.0-56-amd64", "6.1.0-9-amd64", 1},
		{"6.10.0-1-amd64", "6.9.0-1-amd64", 1},
		{"6.1.0-56-amd64", "6.1.0-56-amd64", 0},
		{"5.10.0-30-amd64", "6.1.0-1-amd64", -1},
	}
	for _, c := range cases {
		got := compareVersions(c.a, c.b)
		if (got > 0) != (c.sign > 0) || (got < 0) != (c.sign < 0) {
			t.Errorf("compareVersions(%s, %s) = %d, want sign %d", c.a, c.b, got, c.sign)
		}
	}
}

func TestPickKernelNeedsImageAndModules(t *testing.T) {
	root := t.TempDir()
	mods, boot := filepath.Join(root, "modules"), filepath.Join(root, "boot")
	for _, d := range []string{"6.1.0-9-amd64", "6.1.0-56-amd64", "6.2.0-1-amd64"} {
		if err := os.MkdirAll(filepath.Join(mods, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.MkdirAll(boot, 0o755); err != nil {
		t.Fatal(err)
	}
	if _, err := pickKernel(mods, boot); !errors.Is(err, ErrMissing) {
		t.Fatalf("no kernels: %v, want ErrMissing", err)
	}
	for _, v := range []string{"6.1.0-9-amd64", "6.1.0-56-amd64"} { // 6.2 has modules but no image
		if err := os.WriteFile(filepath.Join(boot, "vmlinuz-"+v), nil, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if got, err := pickKernel(mods, boot); err != nil || got != "6.1.0-56-amd64" {
		t.Fatalf("pickKernel = %q, %v", got, err)
	}
}

func TestParseDpkgSearch(t *testing.T) {
	out := "libc6:amd64: /lib/x86_64-linux-gnu/libc.so.6\n" +
		"diversion by dash from: /bin/sh\n" +
		"busybox-static: /bin/busybox\n" +
		"libc6:amd64, libc6-dev:amd64: /usr/include/x\n"
	if got, want := parseDpkgSearch(out), []string{"busybox-static", "libc6", "libc6-dev"}; !reflect.DeepEqual(got, want) {
		t.Fatalf("parseDpkgSearch = %q, want %q", got, want)
	}
}

func TestTreeWritesParentsFirst(t *testing.T) {
	tr := newTree()
	src := filepath.Join(t.TempDir(), "prog")
	if err := os.WriteFile(src, []byte("#!/bin/sh\n"), 0o750); err != nil {
		t.Fatal(err)
	}
	steps := []error{
		tr.hostFile("/usr/sbin/prog", src),
		tr.hostFile("/usr/sbin/prog", src), // same source twice is fine
		tr.symlink("/bin/sh", "/bin/busybox"),
		tr.charDev("dev/console", 0o600, 5, 1),
		tr.data("/etc/x.conf", 0o644, []byte("k = v\n")),
	}
	for i, err := range steps {
		if err != nil {
			t.Fatalf("step %d: %v", i, err)
		}
	}
	if err := tr.data("/usr/sbin/prog", 0o644, nil); err == nil {
		t.Fatal("conflicting second entry accepted")
	}
	if err := tr.data("/bin/sh/x", 0o644, nil); err == nil {
		t.Fatal("file below a symlink accepted")
	}
	var buf bytes.Buffer
	if err := tr.writeCPIO(&buf, 1700000000); err != nil {
		t.Fatal(err)
	}
	r := newc.NewReader(&buf)
	var names []string
	contents := map[string]string{}
	for {
		h, err := r.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		names = append(names, h.Name)
		body, _ := io.ReadAll(r)
		contents[h.Name] = string(body) + h.Linkname
		if h.Name == "usr/sbin/prog" && h.Mode != newc.TypeRegular|0o750 {
			t.Errorf("prog mode = %o", h.Mode)
		}
	}
	want := []string{"bin", "bin/sh", "dev", "dev/console", "etc", "etc/x.conf", "usr", "usr/sbin", "usr/sbin/prog"}
	if !reflect.DeepEqual(names, want) {
		t.Fatalf("archive order %q, want %q", names, want)
	}
	if contents["usr/sbin/prog"] != "#!/bin/sh\n" || contents["bin/sh"] != "/bin/busybox" {
		t.Fatalf("contents = %q", contents)
	}
}

func TestDpkgNamesTriesMergedUsr(t *testing.T) {
	got := dpkgNames([]string{"/nonexistent/lib/x.so.1", "/usr/nonexistent/y"})
	want := []string{"/nonexistent/lib/x.so.1", "/usr/nonexistent/lib/x.so.1", "/usr/nonexistent/y", "/nonexistent/y"}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("dpkgNames = %q, want %q", got, want)
	}
}
