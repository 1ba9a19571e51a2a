package image

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
)

const initPackage = "./guest/init"

// moduleDir finds the root of vigil's Go module: Options.ModuleDir, or the
// directory of `go env GOMOD` in the current directory.
func (o *Options) moduleDir(ctx context.Context) (string, error) {
	if o.ModuleDir != "" {
		return o.ModuleDir, nil
	}
	out, err := exec.CommandContext(ctx, o.goCmd(), "env", "GOMOD").Output()
	if err != nil {
		return "", fmt.Errorf("guest init: go env GOMOD: %w", err)
	}
	gomod := strings.TrimSpace(string(out))
	if gomod == "" || gomod == os.DevNull {
		return "", fmt.Errorf("guest init: not inside vigil's Go module; set InitBinary or ModuleDir")
	}
	return filepath.Dir(gomod), nil
}

func (o *Options) goCmd() string {
	if o.GoCmd == "" {
		return "go"
	}
	return o.GoCmd
}

// buildInit compiles guest/init as a static binary into dir.
func (o *Options) buildInit(ctx context.Context, dir string) (string, error) {
	root, err := o.moduleDir(ctx)
	if err != nil {
		return "", err
	}
	if _, err := os.Stat(filepath.Join(root, "guest", "init")); err != nil {
		return "", fmt.Errorf("guest init: %s has no guest/init: %w", root, err)
	}
	out := filepath.Join(dir, "init")
	cmd := exec.CommandContext(ctx, o.goCmd(), "build", "-trimpath", "-ldflags=-s -w", "-o", out, initPackage)
	cmd.Dir = root
	// The guest runs the host's kernel, so it has the host's architecture.
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS=linux", "GOARCH="+runtime.GOARCH)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("guest init: go build: %w: %s", err, strings.TrimSpace(stderr.String()))
	}
	return out, nil
}
