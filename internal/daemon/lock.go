package daemon

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"syscall"
)

// LockFile is the name of the data directory's lock.
const LockFile = "lock"

// dirLock is a held flock on the data directory's lock file.
type dirLock struct{ f *os.File }

// lockDataDir takes an exclusive, non-blocking flock on dataDir/lock, so
// that two daemons never share one store. The kernel drops the lock when
// the process dies, so a crash leaves nothing to clean up.
func lockDataDir(dataDir string) (*dirLock, error) {
	path := filepath.Join(dataDir, LockFile)
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("data dir lock %s: %w", path, err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		holder, _ := os.ReadFile(path)
		_ = f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return nil, fmt.Errorf("data dir %s is in use by another vigil daemon (lock %s held by pid %s)",
				dataDir, path, pidText(holder))
		}
		return nil, fmt.Errorf("data dir lock %s: %w", path, err)
	}
	// The pid is for people reading the error above; the flock is the lock.
	if err := f.Truncate(0); err == nil {
		_, _ = f.WriteAt([]byte(strconv.Itoa(os.Getpid())+"\n"), 0)
	}
	return &dirLock{f: f}, nil
}

func (l *dirLock) release() {
	_ = syscall.Flock(int(l.f.Fd()), syscall.LOCK_UN)
	_ = l.f.Close()
}

func pidText(b []byte) string {
	if n, err := strconv.Atoi(string(trimNewline(b))); err == nil {
		return strconv.Itoa(n)
	}
	return "unknown"
}

func trimNewline(b []byte) []byte {
	for len(b) > 0 && (b[len(b)-1] == '\n' || b[len(b)-1] == '\r') {
		b = b[:len(b)-1]
	}
	return b
}
