package prober

import (
	"bufio"
	"errors"
	"strings"
	"testing"
)

func TestReadResponse(t *testing.T) {
	longValue := strings.Repeat("v", 3*readerSize)
	cases := []struct {
		name     string
		in       string
		status   int
		location string
		body     string
		err      string
	}{
		{"length", "HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nabcdef", 200, "", "abc", ""},
		{"http/1.0 to eof", "HTTP/1.0 200 OK\r\n\r\nall of it", 200, "", "all of it", ""},
		{"no reason phrase", "HTTP/1.1 204\r\n\r\n", 204, "", "", ""},
		{"bare LF lines", "HTTP/1.1 302 Found\nLocation: /x\nContent-Length: 0\n\n", 302, "/x", "", ""},
		{"informational skipped", "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early\r\nLink: x\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok",
			200, "", "ok", ""},
		{"304 has no body", "HTTP/1.1 304 Not Modified\r\nContent-Length: 10\r\n\r\n", 304, "", "", ""},
		{"chunked with extensions and trailer", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n" +
			"3;ext=1\r\nabc\r\nA\r\n0123456789\r\n0\r\nTrailer: x\r\n\r\n", 200, "", "abc0123456789", ""},
		{"chunked wins over length", "HTTP/1.1 200 OK\r\nContent-Length: 99\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nhi\r\n0\r\n\r\n",
			200, "", "hi", ""},
		{"other coding runs to eof", "HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\nContent-Length: 1\r\n\r\nzzz", 200, "", "zzz", ""},
		{"long header line", "HTTP/1.1 301 Moved\r\nX-Long: " + longValue + "\r\nLocation: /" + longValue + "\r\n\r\n",
			301, "/" + longValue, "", ""},
		{"first location wins", "HTTP/1.1 302 Found\r\nLocation: /a\r\nLocation: /b\r\n\r\n", 302, "/a", "", ""},
		{"bad version", "HTTP/2.0 200 OK\r\n\r\n", 0, "", "", "malformed HTTP response"},
		{"bad code", "HTTP/1.1 2x0 OK\r\n\r\n", 0, "", "", "malformed HTTP status code"},
		{"short code", "HTTP/1.1 20\r\n\r\n", 0, "", "", "malformed HTTP status code"},
		{"bad length", "HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n", 0, "", "", "bad Content-Length"},
		{"two lengths", "HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n", 0, "", "", "multiple Content-Length"},
		{"no colon", "HTTP/1.1 200 OK\r\nnonsense\r\n\r\n", 0, "", "", "malformed MIME header line"},
		{"empty", "", 0, "", "", "EOF"},
		{"chunk cut", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nab", 200, "", "ab", "unexpected EOF"},
		{"chunk without end", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nabX\r\n", 200, "", "ab", "malformed chunked"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			br := bufio.NewReaderSize(strings.NewReader(c.in), readerSize)
			h, err := readHead(br)
			var body []byte
			if err == nil {
				body, err = readBody(br, &h, MaxOutput, []byte{})
			}
			if c.err != "" {
				if err == nil || !strings.Contains(err.Error(), c.err) {
					t.Fatalf("error = %v, want %q", err, c.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if h.status != c.status || h.location != c.location || string(body) != c.body {
				t.Errorf("got %d %q %q, want %d %q %q", h.status, clip([]byte(h.location)), body, c.status, clip([]byte(c.location)), c.body)
			}
		})
	}
}

func TestReadHeadIsBounded(t *testing.T) {
	in := "HTTP/1.1 200 OK\r\n" + strings.Repeat("X-Filler: "+strings.Repeat("f", 1000)+"\r\n", 2000) + "\r\n"
	_, err := readHead(bufio.NewReaderSize(strings.NewReader(in), readerSize))
	if !errors.Is(err, errHeadTooLarge) {
		t.Fatalf("error = %v, want %v", err, errHeadTooLarge)
	}
	oneLine := "HTTP/1.1 200 OK\r\nX-Huge: " + strings.Repeat("h", 2*maxHeadBytes) + "\r\n\r\n"
	_, err = readHead(bufio.NewReaderSize(strings.NewReader(oneLine), readerSize))
	if !errors.Is(err, errHeadTooLarge) {
		t.Fatalf("one huge line: error = %v, want %v", err, errHeadTooLarge)
	}
}

func TestReadBodyStopsAtLimit(t *testing.T) {
	for _, in := range []string{
		"HTTP/1.1 200 OK\r\nContent-Length: 100000\r\n\r\n" + strings.Repeat("b", 100000),
		"HTTP/1.1 200 OK\r\n\r\n" + strings.Repeat("b", 100000),
		"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n" + strings.Repeat("1000\r\n"+strings.Repeat("b", 4096)+"\r\n", 25) + "0\r\n\r\n",
	} {
		r := strings.NewReader(in)
		br := bufio.NewReaderSize(r, readerSize)
		h, err := readHead(br)
		if err != nil {
			t.Fatal(err)
		}
		body, err := readBody(br, &h, MaxOutput, []byte{})
		if err != nil || len(body) != MaxOutput {
			t.Fatalf("body %d bytes, error %v; want %d bytes", len(body), err, MaxOutput)
		}
		if consumed := len(in) - r.Len(); consumed > len(in)/2 {
			t.Errorf("read %d of %d bytes for a %d byte limit", consumed, len(in), MaxOutput)
		}
	}
}

func TestBound(t *testing.T) {
	s := strings.Repeat("a", MaxOutput-1) + "é" // the rune straddles the limit
	if got := bound(s); len(got) != MaxOutput-1 {
		t.Errorf("bound cut at %d, want %d (before the rune)", len(got), MaxOutput-1)
	}
	if got := bound("short"); got != "short" {
		t.Errorf("bound(short) = %q", got)
	}
}
