package prober

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"strconv"
	"sync"
)

// maxHeadBytes bounds the status line and headers of one response, as
// net/http's default MaxResponseHeaderBytes does: a guest cannot make the
// prober read without end before its deadline.
const maxHeadBytes = 1 << 20

// readerSize is the bufio buffer of one exchange: a typical probe
// response (status, a few headers, a short body) fits in one read.
const readerSize = 4 << 10

var readers = sync.Pool{New: func() any { return bufio.NewReaderSize(nil, readerSize) }}

var (
	errHeadTooLarge = fmt.Errorf("response headers exceed %d bytes", maxHeadBytes)
	errBadChunk     = errors.New("malformed chunked encoding")
)

// head is what the prober needs from a response's status line and headers.
type head struct {
	status        int
	contentLength int64 // -1: not given
	encoded       bool  // Transfer-Encoding given: Content-Length is ignored
	chunked       bool
	location      string
}

// hasBody says whether a body follows these headers (RFC 9112 section 6.3).
func (h *head) hasBody() bool {
	return h.status >= 200 && h.status != 204 && h.status != 304
}

// readHead reads the status line and headers of the final response,
// skipping informational (1xx) ones except 101.
func readHead(br *bufio.Reader) (head, error) {
	budget := maxHeadBytes
	for {
		h, err := readOneHead(br, &budget)
		if err != nil || h.status >= 200 || h.status == 101 {
			return h, err
		}
	}
}

func readOneHead(br *bufio.Reader, budget *int) (head, error) {
	h := head{contentLength: -1}
	line, err := readLine(br, budget)
	if err != nil {
		return h, err
	}
	if h.status, err = parseStatusLine(line); err != nil {
		return h, err
	}
	for {
		line, err := readLine(br, budget)
		if err != nil {
			return h, eofIsUnexpected(err)
		}
		if len(line) == 0 {
			return h, nil
		}
		if err := h.addHeader(line); err != nil {
			return h, err
		}
	}
}

// parseStatusLine parses "HTTP/1.x NNN reason".
func parseStatusLine(line []byte) (int, error) {
	proto, rest, ok := bytes.Cut(line, []byte{' '})
	if !ok || !bytes.HasPrefix(proto, []byte("HTTP/1.")) {
		return 0, fmt.Errorf("malformed HTTP response %q", clip(line))
	}
	rest = bytes.TrimLeft(rest, " ")
	if len(rest) < 3 || (len(rest) > 3 && rest[3] != ' ') {
		return 0, fmt.Errorf("malformed HTTP status code %q", clip(rest))
	}
	code := 0
	for _, c := range rest[:3] {
		if c < '0' || c > '9' {
			return 0, fmt.Errorf("malformed HTTP status code %q", clip(rest))
		}
		code = code*10 + int(c-'0')
	}
	if code < 100 {
		return 0, fmt.Errorf("malformed HTTP status code %q", clip(rest))
	}
	return code, nil
}

func (h *head) addHeader(line []byte) error {
	name, value, ok := bytes.Cut(line, []byte{':'})
	if !ok {
		return fmt.Errorf("malformed MIME header line: %q", clip(line))
	}
	value = bytes.Trim(value, " \t")
	switch {
	case bytes.EqualFold(name, []byte("Content-Length")):
		n, err := strconv.ParseUint(string(value), 10, 63)
		if err != nil {
			return fmt.Errorf("bad Content-Length %q", clip(value))
		}
		if h.contentLength >= 0 && h.contentLength != int64(n) {
			return errors.New("message cannot contain multiple Content-Length headers")
		}
		h.contentLength = int64(n)
	case bytes.EqualFold(name, []byte("Transfer-Encoding")):
		// Chunked only if it is the last coding; any other coding means
		// the body runs to the end of the connection (RFC 9112 6.3).
		last := value
		if i := bytes.LastIndexByte(value, ','); i >= 0 {
			last = bytes.Trim(value[i+1:], " \t")
		}
		h.encoded = true
		h.chunked = bytes.EqualFold(last, []byte("chunked"))
	case bytes.EqualFold(name, []byte("Location")):
		if h.location == "" {
			h.location = string(value)
		}
	}
	return nil
}

// readLine returns the next line without its CR LF, charging it to
// budget. The slice is valid until the next read from br. A line longer
// than br's buffer is assembled in a fresh slice (rare: long cookies).
func readLine(br *bufio.Reader, budget *int) ([]byte, error) {
	line, err := br.ReadSlice('\n')
	if errors.Is(err, bufio.ErrBufferFull) {
		line, err = readLongLine(br, line, *budget)
	}
	*budget -= len(line)
	if *budget < 0 {
		return nil, errHeadTooLarge
	}
	if err != nil {
		return nil, err
	}
	return trimEOL(line), nil
}

func readLongLine(br *bufio.Reader, first []byte, budget int) ([]byte, error) {
	long := append([]byte(nil), first...)
	for len(long) <= budget {
		more, err := br.ReadSlice('\n')
		long = append(long, more...)
		if !errors.Is(err, bufio.ErrBufferFull) {
			return long, err
		}
	}
	return long, errHeadTooLarge
}

func trimEOL(b []byte) []byte {
	b = bytes.TrimSuffix(b, []byte{'\n'})
	return bytes.TrimSuffix(b, []byte{'\r'})
}

// clip shortens protocol garbage quoted in an error.
func clip(b []byte) []byte {
	if len(b) > 64 {
		return b[:64]
	}
	return b
}

// readBody reads at most limit bytes of the body that follows h, into
// keep when it is not nil (then returned) or discarded otherwise. Stopping
// at limit is not an error; a body cut short is (io.ErrUnexpectedEOF).
func readBody(br *bufio.Reader, h *head, limit int, keep []byte) ([]byte, error) {
	switch {
	case !h.hasBody():
		return keep, nil
	case h.chunked:
		return readChunked(br, limit, keep)
	case h.contentLength >= 0 && !h.encoded:
		n := int(min(h.contentLength, int64(limit)))
		return take(br, n, keep, io.ErrUnexpectedEOF)
	default:
		return take(br, limit, keep, nil)
	}
}

// take reads n bytes; running out early returns short (nil: the body
// ends with the connection).
func take(br *bufio.Reader, n int, keep []byte, short error) ([]byte, error) {
	for n > 0 {
		chunk, err := br.Peek(min(n, br.Size()))
		if keep != nil {
			keep = append(keep, chunk...)
		}
		if _, derr := br.Discard(len(chunk)); derr != nil {
			return keep, derr
		}
		n -= len(chunk)
		if err == nil || errors.Is(err, bufio.ErrBufferFull) {
			continue
		}
		if errors.Is(err, io.EOF) {
			if n > 0 && short != nil {
				return keep, short
			}
			return keep, nil
		}
		return keep, err
	}
	return keep, nil
}

// readChunked decodes a chunked body up to limit bytes of data.
func readChunked(br *bufio.Reader, limit int, keep []byte) ([]byte, error) {
	budget := maxHeadBytes
	for limit > 0 {
		line, err := readLine(br, &budget)
		if err != nil {
			return keep, eofIsUnexpected(err)
		}
		size, err := chunkSize(line)
		if err != nil || size == 0 {
			return keep, err
		}
		n := int(min(size, uint64(limit)))
		if keep, err = take(br, n, keep, io.ErrUnexpectedEOF); err != nil {
			return keep, err
		}
		limit -= n
		if uint64(n) < size {
			return keep, nil
		}
		if end, err := readLine(br, &budget); err != nil || len(end) != 0 {
			return keep, chunkEndError(err)
		}
	}
	return keep, nil
}

func chunkSize(line []byte) (uint64, error) {
	if i := bytes.IndexByte(line, ';'); i >= 0 {
		line = line[:i]
	}
	line = bytes.Trim(line, " \t")
	if len(line) == 0 || len(line) > 16 {
		return 0, errBadChunk
	}
	var n uint64
	for _, c := range line {
		switch {
		case c >= '0' && c <= '9':
			n = n<<4 | uint64(c-'0')
		case c >= 'a' && c <= 'f':
			n = n<<4 | uint64(c-'a'+10)
		case c >= 'A' && c <= 'F':
			n = n<<4 | uint64(c-'A'+10)
		default:
			return 0, errBadChunk
		}
	}
	return n, nil
}

func chunkEndError(err error) error {
	if err != nil {
		return eofIsUnexpected(err)
	}
	return errBadChunk
}

func eofIsUnexpected(err error) error {
	if errors.Is(err, io.EOF) {
		return io.ErrUnexpectedEOF
	}
	return err
}
