package qmp

import (
	"errors"
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
	if r.buf != nil {
		t.Errorf("the reader keeps a %d-byte buffer after a long line", cap(r.buf))
	}
	if r.br.Size() > readBufferSize {
		t.Errorf("the reader's buffer is %d bytes, more than %d", r.br.Size(), readBufferSize)
	}
}

// Lines split across the read buffer, and lines of exactly its size, come
// out whole; the bound counts the whole line.
func TestLineReaderLongLines(t *testing.T) {
	exact := strings.Repeat("e", readBufferSize-1) + "\n"
	twice := strings.Repeat("t", 2*readBufferSize+7) + "\n"
	r := newLineReader(strings.NewReader("a\n"+exact+twice+"b\n"), 3*readBufferSize)
	for _, want := range []string{"a\n", exact, twice, "b\n"} {
		line, err := r.next()
		if err != nil || string(line) != want {
			t.Fatalf("line of %d bytes: got %d bytes, %v", len(want), len(line), err)
		}
	}
	r = newLineReader(strings.NewReader(strings.Repeat("x", 100)+"\n"), 50)
	if _, err := r.next(); !errors.Is(err, ErrProtocol) {
		t.Errorf("a line over the bound: %v, want ErrProtocol", err)
	}
	r = newLineReader(strings.NewReader(strings.Repeat("x", readBufferSize*3)+"\n"), 2*readBufferSize)
	if _, err := r.next(); !errors.Is(err, ErrProtocol) {
		t.Errorf("a line over the bound, longer than the buffer: %v, want ErrProtocol", err)
	}
}
