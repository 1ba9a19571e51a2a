package store

import (
	"bytes"
	"errors"
	"log/slog"
	"strings"
	"testing"

	"go.uber.org/zap"
)

func TestZapToSlog(t *testing.T) {
	var buf bytes.Buffer
	log := slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug}))
	zl, quiet := newZapLogger(log)
	zl = zl.Named("raft").With(zap.String("member", "m1"))

	zl.Info("elected leader")
	if buf.Len() != 0 {
		t.Fatalf("info passed: %s", buf.String())
	}
	zl.Warn("slow fdatasync", zap.Duration("took", 2e9))
	zl.Error("lost quorum", zap.Error(errors.New("boom")))
	zl.Warn("simple token is not cryptographically signed")
	quiet.Store(true)
	zl.Error("closing client listener")

	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	want := []string{
		`level=WARN msg="slow fdatasync" component=etcd logger=raft member=m1 took=2s`,
		`level=ERROR msg="lost quorum" component=etcd logger=raft error=boom member=m1`,
		`level=DEBUG msg="simple token is not cryptographically signed" component=etcd logger=raft member=m1`,
		`level=DEBUG msg="closing client listener" component=etcd logger=raft member=m1`,
	}
	if len(lines) != len(want) {
		t.Fatalf("got %d lines, want %d:\n%s", len(lines), len(want), buf.String())
	}
	for i, l := range lines {
		if _, rest, _ := strings.Cut(l, " "); rest != want[i] { // drop time=
			t.Errorf("line %d = %q, want %q", i, rest, want[i])
		}
	}
}
