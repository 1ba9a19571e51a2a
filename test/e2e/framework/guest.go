package framework

import (
	"fmt"
	"strings"
)

// VMSpec describes a tiny-guest VM for a test manifest.
type VMSpec struct {
	Name     string
	Strategy string // run strategy
	Labels   map[string]string
	// UserData is the cloud-init user-data (see WebServer).
	UserData string
	// Readiness and Liveness are probe bodies in YAML, indented as under
	// `readinessProbe:` (8 spaces), e.g. "        tcpSocket:\n          port: 1500\n".
	Readiness, Liveness string
	// Annotations go on the VMI template.
	Annotations map[string]string
	// KernelArgs default to "console=ttyS0 panic=-1".
	KernelArgs string
	// Grace is terminationGracePeriodSeconds (default 10).
	Grace int
	// Watchdog, when set, adds an i6300esb with this action.
	Watchdog string
}

// Manifest renders the VM as YAML.
func (s VMSpec) Manifest() []byte {
	var b strings.Builder
	fmt.Fprintf(&b, "apiVersion: kubevirt.io/v1\nkind: VirtualMachine\nmetadata:\n  name: %s\nspec:\n  runStrategy: %s\n", s.Name, s.Strategy)
	b.WriteString("  template:\n    metadata:\n      labels:\n")
	fmt.Fprintf(&b, "        app: %s\n", s.Name)
	for k, v := range s.Labels {
		fmt.Fprintf(&b, "        %s: %q\n", k, v)
	}
	if len(s.Annotations) > 0 {
		b.WriteString("      annotations:\n")
		for k, v := range s.Annotations {
			fmt.Fprintf(&b, "        %s: %q\n", k, v)
		}
	}
	grace := s.Grace
	if grace == 0 {
		grace = 10
	}
	args := s.KernelArgs
	if args == "" {
		args = "console=ttyS0 panic=-1"
	}
	fmt.Fprintf(&b, "    spec:\n      terminationGracePeriodSeconds: %d\n", grace)
	if s.Readiness != "" {
		b.WriteString("      readinessProbe:\n" + s.Readiness)
	}
	if s.Liveness != "" {
		b.WriteString("      livenessProbe:\n" + s.Liveness)
	}
	fmt.Fprintf(&b, `      domain:
        memory:
          guest: 192Mi
        firmware:
          kernelBoot:
            kernelArgs: %s
            container:
              image: tiny
        devices:
`, args)
	if s.Watchdog != "" {
		fmt.Fprintf(&b, "          watchdog:\n            name: wd\n            i6300esb:\n              action: %s\n", s.Watchdog)
	}
	if s.UserData == "" {
		return []byte(b.String())
	}
	b.WriteString("          disks:\n          - name: cloudinit\n            disk:\n              bus: virtio\n")
	b.WriteString("      volumes:\n      - name: cloudinit\n        cloudInitNoCloud:\n          userData: |\n")
	for _, line := range strings.Split(strings.TrimRight(s.UserData, "\n"), "\n") {
		b.WriteString("            " + line + "\n")
	}
	return []byte(b.String())
}

// File is a file cloud-init writes in the guest.
type File struct {
	Path, Content string
	Executable    bool
}

// CloudConfig renders #cloud-config user-data that writes files and then
// runs each command with sh in the background.
func CloudConfig(files []File, commands []string) string {
	var b strings.Builder
	b.WriteString("#cloud-config\nwrite_files:\n")
	for _, f := range files {
		fmt.Fprintf(&b, "- path: %s\n", f.Path)
		if f.Executable {
			b.WriteString("  permissions: \"0755\"\n")
		}
		b.WriteString("  content: |\n")
		for _, line := range strings.Split(strings.TrimRight(f.Content, "\n"), "\n") {
			b.WriteString("    " + line + "\n")
		}
	}
	b.WriteString("runcmd:\n")
	for _, c := range commands {
		fmt.Fprintf(&b, "- [sh, -c, %q]\n", c+" >/dev/null 2>&1 &")
	}
	return b.String()
}

// Healthz is the guest's HTTP server on port 1500 (see WebServer).
func Healthz(code int) (File, string) {
	return File{Path: "/usr/local/bin/healthz", Executable: true, Content: fmt.Sprintf(healthzScript, code)},
		"nc -ll -p 1500 -e /usr/local/bin/healthz"
}

// WebServer is cloud-config that starts an HTTP server on port 1500. Every
// request's path is appended to /tmp/hits. GET /healthz answers `code` when
// the request carries "Custom-Header: Awesome" (the seed's header) and 403
// without it, and 503 while /tmp/unready exists; GET /other answers 200.
func WebServer(code int) string {
	f, cmd := Healthz(code)
	return CloudConfig([]File{f}, []string{cmd})
}

// healthzScript handles one HTTP exchange on stdin/stdout (nc runs it per
// connection); %d is the status /healthz answers when healthy.
const healthzScript = `#!/bin/sh
read -r method path proto
echo "$path" >> /tmp/hits
ok=0
while IFS= read -r line; do
  line=$(printf '%%s' "$line" | tr -d '\r')
  [ -z "$line" ] && break
  name=$(printf '%%s' "${line%%%%:*}" | tr 'A-Z' 'a-z')
  value=$(printf '%%s' "${line#*:}" | sed 's/^ *//')
  [ "$name" = custom-header ] && [ "$value" = Awesome ] && ok=1
done
if [ "$path" = /healthz ] && [ -e /tmp/unready ]; then
  printf 'HTTP/1.0 503 Unavailable\r\nContent-Length: 8\r\n\r\nunready\n'
elif [ "$path" != /healthz ]; then
  printf 'HTTP/1.0 200 OK\r\nContent-Length: 6\r\n\r\nother\n'
elif [ "$ok" = 1 ]; then
  printf 'HTTP/1.0 %d Status\r\nContent-Length: 3\r\n\r\nok\n'
else
  printf 'HTTP/1.0 403 Forbidden\r\nContent-Length: 10\r\n\r\nforbidden\n'
fi
`
