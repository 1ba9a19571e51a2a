package store

import (
	"context"
	"log/slog"
	"sort"
	"sync/atomic"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
)

// slogCore is a zapcore.Core that hands etcd's zap entries to slog, so
// etcd's messages land in the daemon's log with its format. Only warnings
// and errors pass: etcd's info level narrates every raft step.
type slogCore struct {
	log    *slog.Logger
	fields []zapcore.Field
	// quiet turns everything into debug while the server is being stopped:
	// etcd reports its own listeners closing as errors.
	quiet *atomic.Bool
}

var _ zapcore.Core = (*slogCore)(nil)

// newZapLogger returns a zap logger writing to log, and the switch that
// quietens it.
func newZapLogger(log *slog.Logger) (*zap.Logger, *atomic.Bool) {
	quiet := new(atomic.Bool)
	core := &slogCore{log: log.With("component", "etcd"), quiet: quiet}
	return zap.New(core), quiet
}

func (c *slogCore) Enabled(l zapcore.Level) bool { return l >= zapcore.WarnLevel }

func (c *slogCore) With(fields []zapcore.Field) zapcore.Core {
	all := make([]zapcore.Field, 0, len(c.fields)+len(fields))
	all = append(append(all, c.fields...), fields...)
	return &slogCore{log: c.log, fields: all, quiet: c.quiet}
}

func (c *slogCore) Check(e zapcore.Entry, ce *zapcore.CheckedEntry) *zapcore.CheckedEntry {
	if c.Enabled(e.Level) {
		return ce.AddCore(e, c)
	}
	return ce
}

func (c *slogCore) Write(e zapcore.Entry, fields []zapcore.Field) error {
	enc := zapcore.NewMapObjectEncoder()
	for _, f := range c.fields {
		f.AddTo(enc)
	}
	for _, f := range fields {
		f.AddTo(enc)
	}
	keys := make([]string, 0, len(enc.Fields))
	for k := range enc.Fields {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	attrs := make([]slog.Attr, 0, len(keys)+1)
	if e.LoggerName != "" {
		attrs = append(attrs, slog.String("logger", e.LoggerName))
	}
	for _, k := range keys {
		attrs = append(attrs, slog.Any(k, enc.Fields[k]))
	}
	c.log.LogAttrs(context.Background(), c.level(e), e.Message, attrs...)
	return nil
}

func (c *slogCore) Sync() error { return nil }

// expectedWarnings are warnings etcd gives on every start of the embedded
// member, about choices made on purpose: clients and its HTTP endpoints
// share the local socket, and the member runs without auth.
var expectedWarnings = map[string]bool{
	"Running http and grpc server on single port. This is not recommended for production.": true,
	"simple token is not cryptographically signed":                                         true,
}

func (c *slogCore) level(e zapcore.Entry) slog.Level {
	switch {
	case c.quiet.Load(), e.Level == zapcore.WarnLevel && expectedWarnings[e.Message]:
		return slog.LevelDebug
	case e.Level >= zapcore.ErrorLevel:
		return slog.LevelError
	default:
		return slog.LevelWarn
	}
}
