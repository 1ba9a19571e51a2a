package images

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"syscall"
	"time"
)

const (
	locksDir = ".locks"
	// lockPoll is how often a writer retries a lock another writer holds;
	// flock itself cannot wait on a context.
	lockPoll = 50 * time.Millisecond
	// removeLockTimeout bounds how long Remove waits for an import or build
	// of the same name to finish (a tiny build takes well under a minute).
	removeLockTimeout = 2 * time.Minute
)

// nameLock is an exclusive flock on <store>/.locks/<name>.lock. flock locks
// belong to the open file, so two lockers in one process exclude each other
// as two processes do.
type nameLock struct{ f *os.File }

// lock takes the lock for name, waiting until ctx ends.
func (s *Store) lock(ctx context.Context, name string) (*nameLock, error) {
	path := filepath.Join(s.dir, locksDir, name+".lock")
	f, err := os.OpenFile(path, os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		return nil, fmt.Errorf("image %q: lock: %w", name, err)
	}
	ok, err := tryLock(f)
	if err == nil && !ok {
		ok, err = waitLock(ctx, f)
	}
	if err != nil || !ok {
		f.Close()
		if err == nil {
			err = ctx.Err()
		}
		return nil, fmt.Errorf("image %q: lock %s: %w", name, path, err)
	}
	return &nameLock{f: f}, nil
}

// tryLockName takes the lock for name only if it is free.
func (s *Store) tryLockName(name string) (*nameLock, bool) {
	f, err := os.OpenFile(filepath.Join(s.dir, locksDir, name+".lock"), os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		return nil, false
	}
	if ok, err := tryLock(f); err != nil || !ok {
		f.Close()
		return nil, false
	}
	return &nameLock{f: f}, true
}

func waitLock(ctx context.Context, f *os.File) (bool, error) {
	tick := time.NewTicker(lockPoll)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return false, nil
		case <-tick.C:
			if ok, err := tryLock(f); err != nil || ok {
				return ok, err
			}
		}
	}
}

func tryLock(f *os.File) (bool, error) {
	err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
	switch {
	case err == nil:
		return true, nil
	case errors.Is(err, syscall.EWOULDBLOCK):
		return false, nil
	default:
		return false, err
	}
}

// unlock releases the lock (closing the file drops the flock).
func (l *nameLock) unlock() { l.f.Close() }
