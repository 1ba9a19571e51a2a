package store

import (
	"fmt"
	"io"
	"log/slog"
	"strings"
	"time"
)

// Config says where the store keeps its objects.
type Config struct {
	// DataDir holds the embedded etcd (in DataDir/etcd). Required when
	// Endpoints is empty, unused otherwise.
	DataDir string
	// Endpoints of an existing etcd cluster ("http://10.0.0.1:2379",
	// "unix:///run/etcd.sock"). Empty means: start an embedded etcd.
	Endpoints []string
	// Logger receives the store's and etcd's logs (etcd's at warn and
	// above only). Nil discards them.
	Logger *slog.Logger
	// Prefix is put before every key; default DefaultPrefix. It must start
	// and end with "/".
	Prefix string
	// CompactionRetention is how many revisions the embedded etcd keeps
	// before auto-compaction drops older ones; watches and continue tokens
	// older than that get 410 Gone. 0 means DefaultCompactionRetention, a
	// negative value turns auto-compaction off. Unused with Endpoints (the
	// cluster's operator configures compaction).
	CompactionRetention int64
	// Now is the clock for creationTimestamp; nil means time.Now.
	Now func() time.Time
}

const (
	// DefaultPrefix is the key prefix when Config.Prefix is empty.
	DefaultPrefix = "/vigil/"
	// DefaultCompactionRetention keeps enough history for watchers that
	// were away for a while to resume without a relist.
	DefaultCompactionRetention = 10000

	// readyTimeout bounds the embedded etcd's start-up: it replays its WAL
	// first, which on a slow disk with a large log takes a while.
	readyTimeout = 60 * time.Second
	// dialTimeout bounds connecting to an etcd endpoint.
	dialTimeout = 5 * time.Second
	// probeTimeout bounds the first request that proves the cluster answers.
	probeTimeout = 10 * time.Second
	// stopTimeout bounds stopping the embedded etcd; past it Close gives up
	// waiting (the data is safe: every acknowledged write is on disk).
	stopTimeout = 10 * time.Second
)

// withDefaults fills in the defaults and checks the combination.
func (c Config) withDefaults() (Config, error) {
	if c.Logger == nil {
		c.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if c.Prefix == "" {
		c.Prefix = DefaultPrefix
	}
	if !strings.HasPrefix(c.Prefix, "/") || !strings.HasSuffix(c.Prefix, "/") {
		return c, fmt.Errorf("store config: prefix %q must start and end with \"/\"", c.Prefix)
	}
	if c.CompactionRetention == 0 {
		c.CompactionRetention = DefaultCompactionRetention
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	if len(c.Endpoints) == 0 && c.DataDir == "" {
		return c, fmt.Errorf("store config: dataDir is required without etcd endpoints")
	}
	return c, nil
}
