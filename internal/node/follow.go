package node

import (
	"context"
	"errors"
	"io"
	"os"

	"k8s.io/utils/clock"
)

// followReader reads a growing file like `tail -f`: at the end of the file
// it waits for more until ctx ends or gone is closed (the writer, QEMU, is
// gone); then it drains what is left and reports io.EOF.
type followReader struct {
	f     *os.File
	ctx   context.Context
	gone  <-chan struct{}
	clock clock.Clock
	done  bool
}

func (r *followReader) Read(p []byte) (int, error) {
	for {
		n, err := r.f.Read(p)
		if n > 0 || (err != nil && !errors.Is(err, io.EOF)) {
			return n, err
		}
		if r.done {
			return 0, io.EOF
		}
		select {
		case <-r.ctx.Done():
			return 0, io.EOF
		case <-r.gone:
			r.done = true // one more read picks up the last bytes
		case <-r.clock.After(logPollInterval):
		}
	}
}

func (r *followReader) Close() error { return r.f.Close() }
