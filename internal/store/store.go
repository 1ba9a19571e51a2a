package store

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"go.etcd.io/etcd/api/v3/mvccpb"
	clientv3 "go.etcd.io/etcd/client/v3"
	"go.uber.org/zap"
)

// etcdStore implements Interface on an etcd client.
type etcdStore struct {
	client   *clientv3.Client
	embedded *embedded // nil with external endpoints
	keys     keyspace
	now      func() time.Time
	log      *slog.Logger
	quiet    *atomic.Bool

	closeOnce sync.Once
	closeErr  error
}

var _ Interface = (*etcdStore)(nil)

// Open returns a store on an embedded etcd in cfg.DataDir, or on the etcd
// cluster at cfg.Endpoints. It returns once the store answers requests.
func Open(ctx context.Context, cfg Config) (Interface, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	zl, quiet := newZapLogger(cfg.Logger)
	s := &etcdStore{keys: keyspace{prefix: cfg.Prefix}, now: cfg.Now, log: cfg.Logger, quiet: quiet}
	endpoints := cfg.Endpoints
	if len(endpoints) == 0 {
		if s.embedded, err = startEmbedded(ctx, cfg, zl, quiet); err != nil {
			return nil, err
		}
		endpoints = []string{s.embedded.clientURL}
	}
	if err := s.connect(ctx, endpoints, zl); err != nil {
		return nil, errors.Join(err, s.Close())
	}
	return s, nil
}

// connect makes the client and proves the cluster answers.
func (s *etcdStore) connect(ctx context.Context, endpoints []string, zl *zap.Logger) error {
	client, err := clientv3.New(clientv3.Config{
		Endpoints:   endpoints,
		DialTimeout: dialTimeout,
		Logger:      zl,
	})
	if err != nil {
		return fmt.Errorf("connect to etcd %v: %w", endpoints, err)
	}
	s.client = client
	pctx, cancel := context.WithTimeout(ctx, probeTimeout)
	defer cancel()
	if _, err := s.Revision(pctx); err != nil {
		return fmt.Errorf("etcd %v does not answer: %w", endpoints, err)
	}
	return nil
}

// Close closes the client, then stops the embedded server.
func (s *etcdStore) Close() error {
	s.closeOnce.Do(func() {
		s.quiet.Store(true)
		var errs []error
		if s.client != nil {
			if err := s.client.Close(); err != nil && !errors.Is(err, context.Canceled) {
				errs = append(errs, fmt.Errorf("close etcd client: %w", err))
			}
		}
		if s.embedded != nil {
			errs = append(errs, s.embedded.stop())
		}
		s.closeErr = errors.Join(errs...)
	})
	return s.closeErr
}

// Revision is the store's current revision: a count-only read of the
// prefix returns it in its header.
func (s *etcdStore) Revision(ctx context.Context) (int64, error) {
	resp, err := s.client.Get(ctx, s.keys.prefix, clientv3.WithPrefix(), clientv3.WithCountOnly())
	if err != nil {
		return 0, storageError(ctx, "read revision", s.keys.prefix, err)
	}
	return resp.Header.Revision, nil
}

// getKV reads one key; nil when it does not exist.
func (s *etcdStore) getKV(ctx context.Context, key string) (*mvccpb.KeyValue, error) {
	resp, err := s.client.Get(ctx, key)
	if err != nil {
		return nil, storageError(ctx, "get", key, err)
	}
	if len(resp.Kvs) == 0 {
		return nil, nil
	}
	return resp.Kvs[0], nil
}

// casResult is the outcome of a compare-and-swap on one key.
type casResult struct {
	ok bool
	// rev is the revision of the write when ok.
	rev int64
	// current is the key's state when not ok (nil: the key is gone).
	current *mvccpb.KeyValue
}

// casPut writes data to key if the key's modification revision is still
// modRev (0: if the key does not exist).
func (s *etcdStore) casPut(ctx context.Context, key string, data []byte, modRev int64) (casResult, error) {
	return s.cas(ctx, "put", key, modRev, clientv3.OpPut(key, string(data)))
}

// casDelete deletes key if its modification revision is still modRev.
func (s *etcdStore) casDelete(ctx context.Context, key string, modRev int64) (casResult, error) {
	return s.cas(ctx, "delete", key, modRev, clientv3.OpDelete(key))
}

func (s *etcdStore) cas(ctx context.Context, op, key string, modRev int64, then clientv3.Op) (casResult, error) {
	cmp := clientv3.Compare(clientv3.ModRevision(key), "=", modRev)
	if modRev == 0 {
		cmp = clientv3.Compare(clientv3.CreateRevision(key), "=", 0)
	}
	resp, err := s.client.Txn(ctx).If(cmp).Then(then).Else(clientv3.OpGet(key)).Commit()
	if err != nil {
		return casResult{}, storageError(ctx, op, key, err)
	}
	if resp.Succeeded {
		return casResult{ok: true, rev: resp.Header.Revision}, nil
	}
	res := casResult{}
	if kvs := resp.Responses[0].GetResponseRange().Kvs; len(kvs) > 0 {
		res.current = kvs[0]
	}
	return res, nil
}
