package qga

import (
	"errors"
	"strings"
	"testing"
)

// Lines longer than the read buffer come out whole, with the bytes they
// consumed; their buffer is not kept once the next line is read.
func TestWireReaderLongLines(t *testing.T) {
	exact := strings.Repeat("e", readBufferSize-1) + "\n"
	long := strings.Repeat("l", 3*readBufferSize+5) + "\n"
	r := newWireReader(strings.NewReader("a\n"+exact+long+"b\n"), 4*readBufferSize)
	for _, want := range []string{"a\n", exact, long, "b\n"} {
		line, n, err := r.readLine()
		if err != nil || string(line) != want || n != len(want) {
			t.Fatalf("line of %d bytes: got %d bytes (%d consumed), %v", len(want), len(line), n, err)
		}
	}
	if r.buf != nil {
		t.Errorf("the reader keeps a %d-byte buffer after a long line", cap(r.buf))
	}
	if r.br.Size() > readBufferSize {
		t.Errorf("the read buffer is %d bytes, more than %d", r.br.Size(), readBufferSize)
	}
	r = newWireReader(strings.NewReader(strings.Repeat("x", 3*readBufferSize)+"\n"), 2*readBufferSize)
	if _, n, err := r.readLine(); !errors.Is(err, errLineTooLong) || n > 3*readBufferSize {
		t.Errorf("a line over the bound: %v after %d bytes, want errLineTooLong", err, n)
	}
}
