package cloudconfig

import (
	"bytes"
	"compress/gzip"
	"encoding/base64"
	"fmt"
	"io"
	"strings"
)

func decodeContent(content, encoding, field string) ([]byte, error) {
	switch strings.ToLower(encoding) {
	case "", "text/plain":
		return []byte(content), nil
	case "b64", "base64":
		return decodeBase64(content, field)
	case "gz", "gzip", "gz+b64", "gz+base64", "gzip+b64", "gzip+base64":
		return decodeGzip(content, encoding, field)
	}
	return nil, fmt.Errorf("%s: unsupported encoding %q", field, encoding)
}

func decodeBase64(content, field string) ([]byte, error) {
	data, err := base64.StdEncoding.DecodeString(strings.Join(strings.Fields(content), ""))
	if err != nil {
		return nil, fmt.Errorf("%s: base64: %w", field, err)
	}
	return data, nil
}

func decodeGzip(content, encoding, field string) ([]byte, error) {
	raw := []byte(content)
	if strings.Contains(encoding, "+") {
		var err error
		if raw, err = decodeBase64(content, field); err != nil {
			return nil, err
		}
	}
	zr, err := gzip.NewReader(bytes.NewReader(raw))
	if err != nil {
		return nil, fmt.Errorf("%s: gzip: %w", field, err)
	}
	data, err := io.ReadAll(io.LimitReader(zr, maxUserData))
	if err != nil {
		return nil, fmt.Errorf("%s: gzip: %w", field, err)
	}
	return data, nil
}
