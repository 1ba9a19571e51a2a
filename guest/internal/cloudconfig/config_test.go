package cloudconfig

import (
	"bytes"
	"compress/gzip"
	"encoding/base64"
	"io/fs"
	"reflect"
	"strings"
	"testing"
)

const kubevirtStyle = `#cloud-config
password: fedora
chpasswd: { expire: False }
hostname: probe-vm   # set by user-data
write_files:
  - path: /etc/motd
    content: |
      hello
        indented line
      # not a comment

      last
    permissions: '0600'
    owner: root:root
  - path: "/usr/local/bin/serve"
    permissions: "0755"
    content: |-
      #!/bin/sh
      exec busybox httpd -f -p 1500 -h /srv
  - path: /etc/folded
    content: >
      one
      two

      three
  - path: /etc/b64
    encoding: b64
    content: aGVsbG8=
    append: true
bootcmd:
  - echo early
  - [ sh, -c, "echo 'quoted' > /run/x" ]
runcmd:
- 'echo "a: b"' # quoted: a plain "a: b" would make a mapping
- - busybox
  - httpd
  - -p
  - "1500"
-
  - touch
  - /tmp/it's
- mkdir -p /srv &&
  echo ok > /srv/healthz
packages:
  - nginx
`

func TestParseConfigKubevirtStyle(t *testing.T) {
	cfg, err := ParseConfig([]byte(kubevirtStyle))
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Hostname != "probe-vm" {
		t.Errorf("hostname = %q", cfg.Hostname)
	}
	wantFiles := []File{
		{Path: "/etc/motd", Content: []byte("hello\n  indented line\n# not a comment\n\nlast\n"), Permissions: 0o600},
		{Path: "/usr/local/bin/serve", Content: []byte("#!/bin/sh\nexec busybox httpd -f -p 1500 -h /srv"), Permissions: 0o755},
		{Path: "/etc/folded", Content: []byte("one two\nthree\n"), Permissions: 0o644},
		{Path: "/etc/b64", Content: []byte("hello"), Permissions: 0o644, Append: true},
	}
	if !reflect.DeepEqual(cfg.WriteFiles, wantFiles) {
		t.Errorf("write_files\n got %+v\nwant %+v", cfg.WriteFiles, wantFiles)
	}
	wantBoot := []Command{{Shell: "echo early"}, {Argv: []string{"sh", "-c", "echo 'quoted' > /run/x"}}}
	if !reflect.DeepEqual(cfg.Bootcmd, wantBoot) {
		t.Errorf("bootcmd\n got %q\nwant %q", cfg.Bootcmd, wantBoot)
	}
	wantRun := []Command{
		{Shell: `echo "a: b"`},
		{Argv: []string{"busybox", "httpd", "-p", "1500"}},
		{Argv: []string{"touch", "/tmp/it's"}},
		{Shell: "mkdir -p /srv && echo ok > /srv/healthz"},
	}
	if !reflect.DeepEqual(cfg.Runcmd, wantRun) {
		t.Errorf("runcmd\n got %q\nwant %q", cfg.Runcmd, wantRun)
	}
	if want := []string{"password", "chpasswd", "packages"}; !reflect.DeepEqual(cfg.Unsupported, want) {
		t.Errorf("unsupported = %q, want %q", cfg.Unsupported, want)
	}
	if want := []string{"write_files[0].owner"}; !reflect.DeepEqual(cfg.Ignored, want) {
		t.Errorf("ignored = %q, want %q", cfg.Ignored, want)
	}
}

func TestScriptQuotesArgv(t *testing.T) {
	cfg, err := ParseConfig([]byte(kubevirtStyle))
	if err != nil {
		t.Fatal(err)
	}
	want := "#!/bin/sh\n" +
		"echo \"a: b\"\n" +
		"'busybox' 'httpd' '-p' '1500'\n" +
		"'touch' '/tmp/it'\\''s'\n" +
		"mkdir -p /srv && echo ok > /srv/healthz\n"
	if got := Script(cfg.Runcmd); got != want {
		t.Fatalf("script:\n%s\nwant:\n%s", got, want)
	}
}

func TestBlockScalarChomping(t *testing.T) {
	src := "keep: |+\n  a\n\n\nstrip: >-\n  x\n  y\n\nclip: |\n  z\nindent: |2\n    two\n  one\nempty: |\nlast: done\n"
	n, err := ParseYAML([]byte(src))
	if err != nil {
		t.Fatal(err)
	}
	for key, want := range map[string]string{
		"keep": "a\n\n\n", "strip": "x y", "clip": "z\n", "indent": "  two\none\n", "empty": "", "last": "done",
	} {
		if got := n.Get(key); got == nil || got.Value != want {
			t.Errorf("%s = %+v, want %q", key, got, want)
		}
	}
}

func TestFlowAndQuoted(t *testing.T) {
	src := `a: [1, "two, three", 'it''s', {k: v}]
b: {"instance-id": "iid-1",
    local-hostname: h}
c: "line\tone\u00e9"
d: 'multi
  line'
e: ~
`
	n, err := ParseYAML([]byte(src))
	if err != nil {
		t.Fatal(err)
	}
	a := n.Get("a")
	if a.Kind != Sequence || len(a.Items) != 4 || a.Items[1].Value != "two, three" || a.Items[2].Value != "it's" ||
		a.Items[3].Get("k").Value != "v" {
		t.Errorf("a = %+v", a)
	}
	if b := n.Get("b"); b.Get("instance-id").Value != "iid-1" || b.Get("local-hostname").Value != "h" {
		t.Errorf("b = %+v", b)
	}
	if c := n.Get("c").Value; c != "line\tone\u00e9" {
		t.Errorf("c = %q", c)
	}
	if d := n.Get("d").Value; d != "multi line" {
		t.Errorf("d = %q", d)
	}
	if e := n.Get("e"); e.Kind != Null {
		t.Errorf("e = %+v, want null", e)
	}
}

func TestParseErrorsNameTheField(t *testing.T) {
	for src, want := range map[string]string{
		"runcmd: echo hi\n":                             "runcmd: want a list",
		"runcmd:\n  - {a: b}\n":                         "runcmd[0]: want a string or a list",
		"write_files:\n  - content: x\n":                "write_files[0].path: want an absolute path",
		"write_files:\n- path: /x\n  permissions: rw\n": "write_files[0].permissions: want an octal mode",
		"write_files:\n- path: /x\n  encoding: rot13\n": "write_files[0].encoding: unsupported encoding",
		"a: b\n\tc: d\n":                                "line 2: tab in indentation",
		"a: [1, 2\n":                                    "unterminated flow collection",
		"- a\nb: c\n":                                   "line 2",
	} {
		_, err := ParseConfig([]byte(src))
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("ParseConfig(%q) error = %v, want it to contain %q", src, err, want)
		}
	}
}

func TestBadKeyCostsOnlyThatKey(t *testing.T) {
	src := "write_files:\n- path: relative\nruncmd:\n- echo still runs\nbootcmd: 3\n"
	cfg, err := ParseConfig([]byte(src))
	if err == nil || !strings.Contains(err.Error(), "write_files[0].path") || !strings.Contains(err.Error(), "bootcmd: want a list") {
		t.Fatalf("error = %v, want both bad keys named", err)
	}
	if cfg == nil || len(cfg.WriteFiles) != 0 || !reflect.DeepEqual(cfg.Runcmd, []Command{{Shell: "echo still runs"}}) {
		t.Fatalf("config = %+v, want runcmd kept and write_files dropped", cfg)
	}
}

func TestDetectFormat(t *testing.T) {
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	zw.Write([]byte("#!/bin/sh\necho hi\n"))
	zw.Close()
	for name, tc := range map[string]struct {
		in   []byte
		want Format
	}{
		"script":  {[]byte("#!/bin/sh\n"), FormatScript},
		"config":  {[]byte("#cloud-config\nruncmd: []\n"), FormatCloudConfig},
		"bom":     {[]byte("\xef\xbb\xbf#cloud-config\n"), FormatCloudConfig},
		"empty":   {[]byte(" \n"), FormatEmpty},
		"mime":    {[]byte("Content-Type: multipart/mixed\n"), FormatUnsupported},
		"gzipped": {gz.Bytes(), FormatScript},
	} {
		got, data, err := DetectFormat(tc.in)
		if err != nil || got != tc.want {
			t.Errorf("%s: got %v, %v; want %v", name, got, err, tc.want)
		}
		if name == "gzipped" && string(data) != "#!/bin/sh\necho hi\n" {
			t.Errorf("gzipped data = %q", data)
		}
	}
}

func TestParseMetaData(t *testing.T) {
	md, err := ParseMetaData([]byte("instance-id: vm-1234\nlocal-hostname: web-0\n"))
	if err != nil || md != (MetaData{InstanceID: "vm-1234", LocalHostname: "web-0"}) {
		t.Errorf("yaml meta-data: %+v, %v", md, err)
	}
	md, err = ParseMetaData([]byte(`{"instance-id": "i-9", "local-hostname": "j"}`))
	if err != nil || md != (MetaData{InstanceID: "i-9", LocalHostname: "j"}) {
		t.Errorf("json meta-data: %+v, %v", md, err)
	}
	if _, err := ParseMetaData([]byte("local-hostname: [a]\n")); err == nil || !strings.Contains(err.Error(), "meta-data.local-hostname") {
		t.Errorf("list hostname: %v", err)
	}
}

func TestGzipBase64Content(t *testing.T) {
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	zw.Write([]byte("packed"))
	zw.Close()
	src := "write_files:\n- path: /p\n  encoding: gz+b64\n  permissions: '4755'\n  content: " +
		base64.StdEncoding.EncodeToString(gz.Bytes()) + "\n"
	cfg, err := ParseConfig([]byte(src))
	if err != nil {
		t.Fatal(err)
	}
	if f := cfg.WriteFiles[0]; string(f.Content) != "packed" || f.Permissions != 0o755|fs.ModeSetuid {
		t.Fatalf("file = %+v", f)
	}
}
