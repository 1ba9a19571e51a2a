package qmp

import (
	"strings"
	"testing"
)

// One long line must not pin a long buffer for the rest of the connection.
func TestLineReaderDropsALongBuffer(t *testing.T) {
	long := strings.Repeat("x", 200<<10)
	r := newLineReader(strings.NewReader(long+"\n"+"short\n"), 1<<20)
	if _, err := r.next(); err != nil {
		t.Fatal(err)
	}
	line, err := r.next()
	if err != nil || string(line) != "short\n" {
		t.Fatalf("second line %q, %v", line, err)
	}
	if cap(r.buf) > 64<<10 {
		t.Errorf("the reader keeps a %d-byte buffer after a long line", cap(r.buf))
	}
}
