package controlplane

import (
	"path/filepath"
	"strings"
	"testing"

	"vigil.dev/vigil/test/e2e/framework"
)

// Every manifest the project ships in examples/ is accepted as it is.
func TestExamplesAreAccepted(t *testing.T) {
	root, err := framework.ModuleRoot()
	if err != nil {
		t.Fatal(err)
	}
	files, _ := filepath.Glob(filepath.Join(root, "examples", "*.yaml"))
	if len(files) < 5 {
		t.Fatalf("only %d examples found in %s/examples", len(files), root)
	}
	d := startDaemon(t)
	for _, f := range files {
		r := d.Vigil(nil, "create", "-f", f)
		if r.Code != 0 || !strings.Contains(r.Stdout, " created") {
			t.Errorf("%s: exit %d\n%s%s", filepath.Base(f), r.Code, r.Stdout, r.Stderr)
		}
	}
}
