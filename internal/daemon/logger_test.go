package daemon

import (
	"bytes"
	"encoding/json"
	"slices"
	"strings"
	"testing"
)

func TestNewLogger(t *testing.T) {
	var buf bytes.Buffer
	log, err := NewLogger(&buf, "warn", "json")
	if err != nil {
		t.Fatal(err)
	}
	log.Info("dropped")
	log.Warn("kept", "vm", "a")
	var rec map[string]any
	if err := json.Unmarshal(buf.Bytes(), &rec); err != nil || rec["msg"] != "kept" || rec["vm"] != "a" {
		t.Errorf("json log %q (%v)", buf.String(), err)
	}
	if _, err := NewLogger(&buf, "loud", "text"); err == nil || !strings.Contains(err.Error(), "log level") {
		t.Errorf("bad level: %v", err)
	}
	if _, err := NewLogger(&buf, "info", "xml"); err == nil || !strings.Contains(err.Error(), "log format") {
		t.Errorf("bad format: %v", err)
	}
}

func TestCertHosts(t *testing.T) {
	hosts := certHosts("10.0.0.5", "node-a")
	for _, want := range []string{"127.0.0.1", "::1", "localhost", "node-a", "10.0.0.5"} {
		if !slices.Contains(hosts, want) {
			t.Errorf("%v lacks %s", hosts, want)
		}
	}
	if slices.Contains(certHosts("0.0.0.0", ""), "0.0.0.0") {
		t.Error("the unspecified address is not a name a client uses")
	}
	if h := certHosts("", "localhost"); len(h) != len(slices.Compact(slices.Clone(h))) {
		t.Errorf("duplicates in %v", h)
	}
}
