package cloudconfig

import (
	"bytes"
	"compress/gzip"
	"fmt"
	"io"
)

// Format is what kind of user-data the guest was given.
type Format int

// The user-data formats told apart by their first line.
const (
	FormatEmpty       Format = iota // nothing to do
	FormatScript                    // "#!": run as a program
	FormatCloudConfig               // "#cloud-config": YAML
	FormatUnsupported               // anything else (MIME multipart, #include, ...)
)

func (f Format) String() string {
	return [...]string{"empty", "script", "cloud-config", "unsupported"}[f]
}

// maxUserData bounds decompressed user-data (cloud-init allows 16 KiB raw; a
// generous bound protects the guest from a gzip bomb).
const maxUserData = 16 << 20

// DetectFormat decompresses gzip'd user-data (cloud-init accepts it) and
// classifies it by its first line.
func DetectFormat(data []byte) (Format, []byte, error) {
	if len(data) >= 2 && data[0] == 0x1f && data[1] == 0x8b {
		zr, err := gzip.NewReader(bytes.NewReader(data))
		if err != nil {
			return FormatUnsupported, nil, fmt.Errorf("user-data: gzip: %w", err)
		}
		plain, err := io.ReadAll(io.LimitReader(zr, maxUserData))
		if err != nil {
			return FormatUnsupported, nil, fmt.Errorf("user-data: gzip: %w", err)
		}
		data = plain
	}
	data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf"))
	switch {
	case len(bytes.TrimSpace(data)) == 0:
		return FormatEmpty, data, nil
	case bytes.HasPrefix(data, []byte("#!")):
		return FormatScript, data, nil
	case bytes.HasPrefix(data, []byte("#cloud-config")):
		return FormatCloudConfig, data, nil
	}
	return FormatUnsupported, data, nil
}

// MetaData is the NoCloud meta-data the guest uses.
type MetaData struct {
	InstanceID    string
	LocalHostname string
}

// ParseMetaData reads meta-data (YAML or JSON: "instance-id", "local-hostname").
func ParseMetaData(src []byte) (MetaData, error) {
	n, err := ParseYAML(src)
	if err != nil {
		return MetaData{}, fmt.Errorf("meta-data: %w", err)
	}
	if n.Kind == Null {
		return MetaData{}, nil
	}
	if n.Kind != Mapping {
		return MetaData{}, fmt.Errorf("meta-data: want a mapping, got a %s", n.Kind)
	}
	var md MetaData
	if md.InstanceID, err = scalarField(n, "instance-id", "meta-data.instance-id"); err != nil {
		return MetaData{}, err
	}
	if md.LocalHostname, err = scalarField(n, "local-hostname", "meta-data.local-hostname"); err != nil {
		return MetaData{}, err
	}
	return md, nil
}

// scalarField returns the scalar under key, "" when absent or null.
func scalarField(n *Node, key, field string) (string, error) {
	return scalarValue(n.Get(key), field)
}

// scalarValue returns v's text, "" when v is absent or null.
func scalarValue(v *Node, field string) (string, error) {
	if v == nil || v.Kind == Null {
		return "", nil
	}
	if v.Kind != Scalar {
		return "", fmt.Errorf("%s: want a string, got a %s", field, v.Kind)
	}
	return v.Value, nil
}
