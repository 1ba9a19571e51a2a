package framework

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
)

var (
	buildOnce sync.Once
	binPath   string
	buildErr  error
)

// Binary builds the vigil binary once (per test process) and returns its path.
// VIGIL_BINARY, when set, names a binary to use instead.
func Binary() (string, error) {
	buildOnce.Do(func() {
		if p := os.Getenv("VIGIL_BINARY"); p != "" {
			binPath = p
			return
		}
		root, err := moduleRoot()
		if err != nil {
			buildErr = err
			return
		}
		dir, err := os.MkdirTemp("", "vigil-e2e-bin-")
		if err != nil {
			buildErr = err
			return
		}
		binPath = filepath.Join(dir, "vigil")
		cmd := exec.Command("go", "build", "-o", binPath, "./cmd/vigil")
		cmd.Dir = root
		if out, err := cmd.CombinedOutput(); err != nil {
			buildErr = fmt.Errorf("building vigil: %v\n%s", err, out)
		}
	})
	return binPath, buildErr
}

// moduleRoot is the directory holding go.mod.
func moduleRoot() (string, error) {
	out, err := exec.Command("go", "env", "GOMOD").Output()
	if err != nil {
		return "", fmt.Errorf("go env GOMOD: %w", err)
	}
	gomod := strings.TrimSpace(string(out))
	if gomod == "" || gomod == os.DevNull {
		return "", fmt.Errorf("not inside the vigil module")
	}
	return filepath.Dir(gomod), nil
}

// ModuleRoot is the repository's root directory.
func ModuleRoot() (string, error) { return moduleRoot() }
