package kubectl

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"vigil.dev/vigil/test/e2e/framework"
)

const (
	// apiAddr is the daemon's HTTPS listener. The daemon has a network
	// namespace of its own, so a fixed port is always free.
	apiAddr = "127.0.0.1:6443"
	// commandTimeout bounds one kubectl run (real I/O: generous); a test
	// whose kubectl waits longer on purpose sets kube.timeout.
	commandTimeout = 90 * time.Second
)

// kube is a daemon and a kubectl set up to talk to it.
type kube struct {
	t          *testing.T
	d          *framework.Daemon
	kubectl    string
	kubeconfig string
	cacheDir   string
	timeout    time.Duration // of each kubectl run
}

// kubectlBinary finds kubectl, or skips: hack/deps.sh installs it.
func kubectlBinary(t *testing.T) string {
	t.Helper()
	p, err := exec.LookPath("kubectl")
	if err != nil {
		t.Skip("kubectl is not installed (hack/deps.sh installs it)")
	}
	return p
}

// startKube starts a daemon serving HTTPS (args are extra serve flags) and
// writes a kubeconfig for it with `vigil kubeconfig`.
func startKube(t *testing.T, opts framework.Options) *kube {
	t.Helper()
	bin := kubectlBinary(t)
	opts.Args = append([]string{"--listen-tcp", apiAddr}, opts.Args...)
	d := framework.StartDaemon(t, opts)
	dir := t.TempDir()
	k := &kube{t: t, d: d, kubectl: bin, kubeconfig: filepath.Join(dir, "kubeconfig"),
		cacheDir: filepath.Join(dir, "cache"), timeout: commandTimeout}
	cfg := d.MustVigil(nil, "kubeconfig", "--data-dir", d.DataDir, "--server", "https://"+apiAddr)
	if err := os.WriteFile(k.kubeconfig, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	return k
}

// noNodeArgs turns the node agent off when this vigil has the flag (the
// daemon ran no node before the flag existed).
func noNodeArgs(t *testing.T) []string {
	t.Helper()
	bin, err := framework.Binary()
	if err != nil {
		t.Fatal(err)
	}
	out, _ := exec.Command(bin, "serve", "--help").CombinedOutput()
	if strings.Contains(string(out), "--node ") {
		return []string{"--node=false"}
	}
	return nil
}

// argv is the command line of one kubectl run in the daemon's namespace.
func (k *kube) argv(args ...string) []string {
	base := []string{k.kubectl, "--kubeconfig", k.kubeconfig, "--cache-dir", k.cacheDir}
	return framework.InNetns(k.d.Netns, append(base, args...)...)
}

// result is one kubectl run.
type result struct {
	stdout, stderr string
	code           int
}

// run runs kubectl with stdin (may be nil).
func (k *kube) run(stdin []byte, args ...string) result {
	k.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), k.timeout)
	defer cancel()
	argv := k.argv(args...)
	cmd := exec.CommandContext(ctx, argv[0], argv[1:]...)
	if stdin != nil {
		cmd.Stdin = bytes.NewReader(stdin)
	}
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	r := result{stdout: out.String(), stderr: errb.String()}
	var ee *exec.ExitError
	switch {
	case errors.As(err, &ee):
		r.code = ee.ExitCode()
	case err != nil:
		k.t.Fatalf("running kubectl %s: %v", strings.Join(args, " "), err)
	}
	if ctx.Err() != nil {
		k.t.Fatalf("kubectl %s did not finish within %s", strings.Join(args, " "), k.timeout)
	}
	return r
}

// must runs kubectl and fails the test unless it exits 0; it returns stdout.
func (k *kube) must(stdin []byte, args ...string) string {
	k.t.Helper()
	r := k.run(stdin, args...)
	if r.code != 0 {
		k.t.Fatalf("kubectl %s: exit %d\nstdout:\n%s\nstderr:\n%s", strings.Join(args, " "), r.code, r.stdout, r.stderr)
	}
	return r.stdout
}

// fails runs kubectl, expects a non-zero exit, and returns stderr.
func (k *kube) fails(stdin []byte, args ...string) string {
	k.t.Helper()
	r := k.run(stdin, args...)
	if r.code == 0 {
		k.t.Fatalf("kubectl %s succeeded, want a failure\nstdout:\n%s", strings.Join(args, " "), r.stdout)
	}
	return r.stderr
}

// stream is a kubectl run whose output lines arrive as it prints them.
type stream struct {
	t     *testing.T
	lines chan string
	seen  []string
}

// start runs kubectl in the background until the test ends.
func (k *kube) start(args ...string) *stream {
	k.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), k.timeout)
	argv := k.argv(args...)
	cmd := exec.CommandContext(ctx, argv[0], argv[1:]...)
	out, err := cmd.StdoutPipe()
	if err != nil {
		k.t.Fatal(err)
	}
	var errb bytes.Buffer
	cmd.Stderr = &errb
	if err := cmd.Start(); err != nil {
		k.t.Fatal(err)
	}
	s := &stream{t: k.t, lines: make(chan string, 100)}
	go func() {
		defer close(s.lines)
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			s.lines <- sc.Text()
		}
	}()
	k.t.Cleanup(func() {
		cancel()
		_ = cmd.Wait()
		if k.t.Failed() {
			k.t.Logf("kubectl %s stderr:\n%s", strings.Join(args, " "), errb.String())
		}
	})
	return s
}

// waitLine waits for a line for which match holds.
func (s *stream) waitLine(what string, match func(fields []string) bool) {
	s.t.Helper()
	deadline := time.After(commandTimeout)
	for {
		select {
		case line, ok := <-s.lines:
			if !ok {
				s.t.Fatalf("kubectl ended before printing %s; it printed:\n%s", what, strings.Join(s.seen, "\n"))
			}
			s.seen = append(s.seen, line)
			if match(strings.Fields(line)) {
				return
			}
		case <-deadline:
			s.t.Fatalf("kubectl did not print %s in time; it printed:\n%s", what, strings.Join(s.seen, "\n"))
		}
	}
}

// table splits kubectl's table output into rows of fields; columns with
// spaces in their names ("LAST SEEN") come out as two fields.
func table(out string) [][]string {
	var rows [][]string
	for _, line := range strings.Split(strings.TrimRight(out, "\n"), "\n") {
		rows = append(rows, strings.Fields(line))
	}
	return rows
}

// vmManifest is a minimal valid VM.
func vmManifest(name, strategy, labels string) []byte {
	return []byte(fmt.Sprintf(`apiVersion: kubevirt.io/v1
kind: VirtualMachine
metadata:
  name: %[1]s
  labels: {app: %[1]s%[3]s}
spec:
  runStrategy: %[2]s
  template:
    metadata:
      labels:
        app: %[1]s
    spec:
      domain:
        firmware:
          kernelBoot:
            container:
              image: tiny
`, name, strategy, labels))
}
