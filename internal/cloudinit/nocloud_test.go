package cloudinit

import (
	"bytes"
	"encoding/binary"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/diskfs/go-diskfs/backend/file"
	"github.com/diskfs/go-diskfs/filesystem/iso9660"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

var sample = NoCloud{
	InstanceID:    "6f1c2b9e-3a4d-4e5f-8a7b-9c0d1e2f3a4b",
	LocalHostname: "web-1",
	UserData:      []byte("#cloud-config\npassword: fedora\nchpasswd: { expire: False }\n"),
	NetworkData:   []byte("version: 2\nethernets:\n  eth0:\n    dhcp4: true\n"),
}

func buildSample(t *testing.T, src NoCloud) string {
	t.Helper()
	dst := filepath.Join(t.TempDir(), "cidata.iso")
	if err := BuildNoCloud(dst, src); err != nil {
		t.Fatalf("BuildNoCloud: %v", err)
	}
	return dst
}

// TestNoCloudLayoutGolden checks what readers see: the label, the names in
// every directory flavour (Rock Ridge, Joliet, plain ISO9660) and the
// files' contents, as xorriso reports them.
func TestNoCloudLayoutGolden(t *testing.T) {
	if _, err := exec.LookPath("xorriso"); err != nil {
		t.Skip("xorriso is not installed; the library read-back test still runs")
	}
	iso := buildSample(t, sample)
	var b strings.Builder
	fmt.Fprintf(&b, "primary volume label: %q\n", pvdLabel(t, iso))
	fmt.Fprintf(&b, "%s\n", grepLine(t, xorriso(t, "-indev", iso, "-toc"), "ISO offers"))
	for _, view := range []struct{ name, flags string }{
		{"rock ridge", ""},
		{"joliet", "-rockridge off"},
		{"plain iso9660", "-rockridge off -joliet off"},
	} {
		args := append(strings.Fields(view.flags), "-indev", iso, "-ls", "/")
		fmt.Fprintf(&b, "%s names: %s\n", view.name, strings.Join(quotedNames(xorriso(t, args...)), " "))
	}
	out := t.TempDir()
	xorriso(t, "-osirrox", "on", "-indev", iso, "-extract", "/", out)
	for _, name := range []string{MetaDataFile, NetworkConfigFile, UserDataFile} {
		data, err := os.ReadFile(filepath.Join(out, name))
		if err != nil {
			t.Fatalf("extracted %s: %v", name, err)
		}
		fmt.Fprintf(&b, "--- %s (%d bytes)\n%s", name, len(data), data)
	}
	compareGolden(t, "testdata/nocloud.golden", b.String())
}

// TestNoCloudReadBack reads the image with the library's own reader.
func TestNoCloudReadBack(t *testing.T) {
	iso := buildSample(t, sample)
	f, err := os.Open(iso)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	st, _ := f.Stat()
	fs, err := iso9660.Read(file.New(f, true), st.Size(), 0, sectorSize)
	if err != nil {
		t.Fatalf("iso9660.Read: %v", err)
	}
	if got := strings.TrimRight(fs.Label(), " \x00"); got != Label {
		t.Errorf("label = %q, want %q", got, Label)
	}
	want := map[string]string{
		MetaDataFile:      "instance-id: " + sample.InstanceID + "\nlocal-hostname: web-1\n",
		UserDataFile:      string(sample.UserData),
		NetworkConfigFile: string(sample.NetworkData),
	}
	entries, err := fs.ReadDir(".")
	if err != nil {
		t.Fatalf("ReadDir: %v", err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	slices.Sort(names)
	if wantNames := []string{MetaDataFile, NetworkConfigFile, UserDataFile}; !slices.Equal(names, wantNames) {
		t.Fatalf("root holds %v, want %v", names, wantNames)
	}
	for name, content := range want {
		data, err := fs.ReadFile(name)
		if err != nil {
			t.Fatalf("ReadFile %s: %v", name, err)
		}
		if string(data) != content {
			t.Errorf("%s = %q, want %q", name, data, content)
		}
	}
}

func TestNoCloudOptionalFiles(t *testing.T) {
	iso := buildSample(t, NoCloud{InstanceID: "i-1"})
	f, err := os.Open(iso)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	st, _ := f.Stat()
	fs, err := iso9660.Read(file.New(f, true), st.Size(), 0, sectorSize)
	if err != nil {
		t.Fatalf("iso9660.Read: %v", err)
	}
	if _, err := fs.Stat(MetaDataFile); err != nil {
		t.Fatalf("Stat %s: %v", MetaDataFile, err)
	}
	if _, err := fs.Stat(NetworkConfigFile); err == nil {
		t.Errorf("network-config written without network data")
	}
	data, err := fs.ReadFile(UserDataFile)
	if err != nil || len(data) != 0 {
		t.Errorf("user-data = %q, %v; want an empty file (cloud-init requires it)", data, err)
	}
	meta, err := fs.ReadFile(MetaDataFile)
	if err != nil || string(meta) != "instance-id: i-1\n" {
		t.Errorf("meta-data = %q, %v", meta, err)
	}
}

func TestNoCloudFileShape(t *testing.T) {
	iso := buildSample(t, sample)
	st, err := os.Stat(iso)
	if err != nil {
		t.Fatal(err)
	}
	if st.Mode().Perm() != 0o600 {
		t.Errorf("mode = %v, want 0600 (user-data may hold secrets)", st.Mode().Perm())
	}
	data, err := os.ReadFile(iso)
	if err != nil {
		t.Fatal(err)
	}
	declared := int64(binary.LittleEndian.Uint32(data[pvdSector*sectorSize+volumeSpaceSizeOffset:])) * sectorSize
	if st.Size()%sectorSize != 0 || st.Size() < declared {
		t.Errorf("size %d: want whole sectors and at least the declared volume size %d", st.Size(), declared)
	}
}

func TestBuildNoCloudErrors(t *testing.T) {
	dir := t.TempDir()
	if err := BuildNoCloud(filepath.Join(dir, "a.iso"), NoCloud{}); err == nil || !strings.Contains(err.Error(), "instance-id") {
		t.Errorf("empty instance-id: err = %v", err)
	}
	missing := filepath.Join(dir, "no", "such", "dir", "a.iso")
	if err := BuildNoCloud(missing, sample); err == nil || !strings.Contains(err.Error(), missing) {
		t.Errorf("missing directory: err = %v, want one naming %s", err, missing)
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 0 {
		t.Errorf("failed builds left %d files behind", len(entries))
	}
}

func pvdLabel(t *testing.T, iso string) string {
	t.Helper()
	data, err := os.ReadFile(iso)
	if err != nil {
		t.Fatal(err)
	}
	pvd := data[pvdSector*sectorSize:]
	if pvd[0] != 1 || string(pvd[1:6]) != "CD001" {
		t.Fatalf("sector 16 is not a primary volume descriptor")
	}
	return strings.TrimRight(string(pvd[40:72]), " \x00")
}

func xorriso(t *testing.T, args ...string) string {
	t.Helper()
	cmd := exec.Command("xorriso", args...)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		t.Fatalf("xorriso %v: %v\n%s", args, err, out.String())
	}
	return out.String()
}

func grepLine(t *testing.T, out, prefix string) string {
	t.Helper()
	for _, line := range strings.Split(out, "\n") {
		if strings.HasPrefix(line, prefix) {
			return strings.Join(strings.Fields(line), " ")
		}
	}
	t.Fatalf("no line starting with %q in:\n%s", prefix, out)
	return ""
}

// quotedNames returns the 'quoted' lines of an `xorriso -ls` listing.
func quotedNames(out string) []string {
	var names []string
	for _, line := range strings.Split(out, "\n") {
		if len(line) > 1 && line[0] == '\'' && line[len(line)-1] == '\'' {
			names = append(names, line)
		}
	}
	return names
}

func compareGolden(t *testing.T, path, got string) {
	t.Helper()
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("golden file: %v (run go test -run Golden -update)", err)
	}
	if got != string(want) {
		t.Errorf("layout differs from %s (rerun with -update if intended)\n--- got\n%s\n--- want\n%s", path, got, want)
	}
}
