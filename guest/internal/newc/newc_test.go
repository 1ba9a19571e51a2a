package newc

import (
	"bytes"
	"errors"
	"io"
	"os/exec"
	"reflect"
	"strings"
	"testing"
)

type entry struct {
	hdr  Header
	body string
}

var sample = []entry{
	{Header{Name: "bin", Mode: TypeDir | 0o755}, ""},
	{Header{Name: "bin/busybox", Mode: TypeRegular | 0o755, Mtime: 1700000000}, "\x7fELF odd length"},
	{Header{Name: "bin/sh", Mode: TypeSymlink | 0o777}, ""},
	{Header{Name: "dev/console", Mode: TypeChar | 0o600, RdevMajor: 5, RdevMinor: 1}, ""},
	{Header{Name: "etc/empty", Mode: TypeRegular | 0o644}, ""},
	{Header{Name: "etc/four", Mode: TypeRegular | 0o600, UID: 1, GID: 2}, "abcd"},
}

func init() { sample[2].hdr.Linkname = "busybox" }

func writeSample(t *testing.T) []byte {
	t.Helper()
	var buf bytes.Buffer
	w := NewWriter(&buf)
	for _, e := range sample {
		h := e.hdr
		h.Size = int64(len(e.body))
		if err := w.WriteHeader(&h); err != nil {
			t.Fatalf("WriteHeader(%s): %v", h.Name, err)
		}
		if _, err := io.WriteString(w, e.body); err != nil {
			t.Fatalf("Write(%s): %v", h.Name, err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if buf.Len()%4 != 0 {
		t.Fatalf("archive length %d is not 4-aligned", buf.Len())
	}
	return buf.Bytes()
}

func TestRoundTripOwnReader(t *testing.T) {
	r := NewReader(bytes.NewReader(writeSample(t)))
	for i, want := range sample {
		h, err := r.Next()
		if err != nil {
			t.Fatalf("entry %d: %v", i, err)
		}
		body, err := io.ReadAll(r)
		if err != nil {
			t.Fatalf("read %s: %v", h.Name, err)
		}
		if h.Name != want.hdr.Name || h.Mode != want.hdr.Mode || h.Linkname != want.hdr.Linkname ||
			h.UID != want.hdr.UID || h.Mtime != want.hdr.Mtime || h.RdevMajor != want.hdr.RdevMajor ||
			h.RdevMinor != want.hdr.RdevMinor {
			t.Errorf("entry %d: got %+v, want %+v", i, *h, want.hdr)
		}
		if string(body) != want.body {
			t.Errorf("%s body = %q, want %q", h.Name, body, want.body)
		}
	}
	if _, err := r.Next(); err != io.EOF {
		t.Fatalf("after last entry: got %v, want io.EOF", err)
	}
}

func TestRoundTripCpioTool(t *testing.T) {
	if _, err := exec.LookPath("cpio"); err != nil {
		t.Skip("cpio(1) not installed")
	}
	cmd := exec.Command("cpio", "-t", "--quiet")
	cmd.Stdin = bytes.NewReader(writeSample(t))
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("cpio -t: %v: %s", err, out)
	}
	var want []string
	for _, e := range sample {
		want = append(want, e.hdr.Name)
	}
	if got := strings.Fields(string(out)); !reflect.DeepEqual(got, want) {
		t.Fatalf("cpio -t listed %q, want %q", got, want)
	}
}

func TestBodySizeMismatch(t *testing.T) {
	w := NewWriter(io.Discard)
	if err := w.WriteHeader(&Header{Name: "f", Mode: TypeRegular | 0o644, Size: 2}); err != nil {
		t.Fatal(err)
	}
	if _, err := w.Write([]byte("abc")); !errors.Is(err, ErrBodySize) {
		t.Fatalf("overlong body: got %v, want ErrBodySize", err)
	}
	if _, err := w.Write([]byte("a")); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); !errors.Is(err, ErrBodySize) {
		t.Fatalf("short body: got %v, want ErrBodySize", err)
	}
}

func TestRejectsAbsoluteName(t *testing.T) {
	w := NewWriter(io.Discard)
	if err := w.WriteHeader(&Header{Name: "/init", Mode: TypeRegular}); err == nil {
		t.Fatal("absolute name accepted")
	}
}
