package store

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"go.etcd.io/etcd/api/v3/v3rpc/rpctypes"
	clientv3 "go.etcd.io/etcd/client/v3"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/runtime"

	"vigil.dev/vigil/internal/resource"
)

// List reads a namespace's (or all namespaces') objects of r in key order
// (namespace, then name), one page at a time when opts.Limit is set. Every
// page of one list is read at the first page's revision.
func (s *etcdStore) List(ctx context.Context, r *resource.Info, namespace string, opts ListOptions, into runtime.Object) error {
	if err := sameType(r, into, r.NewList()); err != nil {
		return badInto(err)
	}
	prefix, err := s.keys.collectionPrefix(r, namespace)
	if err != nil {
		return err
	}
	start, rev := prefix, int64(0)
	if opts.Continue != "" {
		tok, err := parseContinue(opts.Continue)
		if err != nil {
			return badRequest(fmt.Sprintf("%s: continue: %v", r.Resource, err))
		}
		start, rev = s.keys.resourcePrefix(r)+tok.Start+"\x00", tok.RV
		if !strings.HasPrefix(start, prefix) {
			return badRequest(fmt.Sprintf("%s: continue: the token belongs to another list", r.Resource))
		}
	}
	resp, err := s.client.Get(ctx, start, listOptions(prefix, rev, opts.Limit)...)
	if errors.Is(err, rpctypes.ErrCompacted) {
		return gone(fmt.Sprintf("the continue token of %s is too old: revision %d has been compacted; start a new list", r.Resource, rev))
	}
	if err != nil {
		return storageError(ctx, "list", start, err)
	}
	if rev == 0 {
		rev = resp.Header.Revision
	}
	if err := s.fill(ctx, r, resp, into); err != nil {
		return err
	}
	return setListMeta(r, resp, rev, s.keys.resourcePrefix(r), into)
}

func listOptions(prefix string, rev, limit int64) []clientv3.OpOption {
	opts := []clientv3.OpOption{clientv3.WithRange(clientv3.GetPrefixRangeEnd(prefix))}
	if rev > 0 {
		opts = append(opts, clientv3.WithRev(rev))
	}
	if limit > 0 {
		opts = append(opts, clientv3.WithLimit(limit))
	}
	return opts
}

// fill decodes the page's objects into the list's items.
func (s *etcdStore) fill(ctx context.Context, r *resource.Info, resp *clientv3.GetResponse, into runtime.Object) error {
	items := make([]runtime.Object, 0, len(resp.Kvs))
	for _, kv := range resp.Kvs {
		obj := r.New()
		if err := decodeKV(ctx, string(kv.Key), kv.Value, kv.ModRevision, obj); err != nil {
			return err
		}
		items = append(items, obj)
	}
	if err := reset(into); err != nil {
		return badInto(err)
	}
	if err := meta.SetList(into, items); err != nil {
		return badInto(err)
	}
	return nil
}

// setListMeta sets kind, resourceVersion and, when more remains, the
// continue token and how many items it leads to.
func setListMeta(r *resource.Info, resp *clientv3.GetResponse, rev int64, resourcePrefix string, into runtime.Object) error {
	into.GetObjectKind().SetGroupVersionKind(r.GroupVersionKind().GroupVersion().WithKind(r.ListKind))
	lm, err := meta.ListAccessor(into)
	if err != nil {
		return badInto(err)
	}
	lm.SetResourceVersion(formatRev(rev))
	if !resp.More || len(resp.Kvs) == 0 {
		return nil
	}
	last := string(resp.Kvs[len(resp.Kvs)-1].Key)
	lm.SetContinue(continueToken{RV: rev, Start: strings.TrimPrefix(last, resourcePrefix)}.encode())
	remaining := resp.Count - int64(len(resp.Kvs))
	lm.SetRemainingItemCount(&remaining)
	return nil
}

// continueToken is where the next page starts: after key Start (relative
// to the resource's prefix), read at revision RV.
type continueToken struct {
	RV    int64  `json:"rv"`
	Start string `json:"start"`
}

func (t continueToken) encode() string {
	data, _ := json.Marshal(t) // two plain fields: cannot fail
	return base64.RawURLEncoding.EncodeToString(data)
}

func parseContinue(s string) (continueToken, error) {
	data, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		return continueToken{}, fmt.Errorf("not a continue token: %w", err)
	}
	var t continueToken
	if err := json.Unmarshal(data, &t); err != nil {
		return continueToken{}, fmt.Errorf("not a continue token: %w", err)
	}
	if t.RV <= 0 || t.Start == "" {
		return continueToken{}, fmt.Errorf("not a continue token: revision or start key missing")
	}
	return t, nil
}

// badInto reports a caller passing the wrong list type: a programming
// error, not the user's.
func badInto(err error) error {
	return apierrors.NewInternalError(fmt.Errorf("store: list: %w", err))
}
