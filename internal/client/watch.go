package client

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/watch"

	"vigil.dev/vigil/internal/resource"
)

// Watch streams the changes of a resource in ns ("" = all namespaces),
// starting after opts.ResourceVersion. Objects arrive typed (r.New());
// ERROR events carry a *metav1.Status. The stream ends when ctx ends, when
// Stop is called, or when the server closes it (the result channel closes).
// Request timeouts do not apply to watches.
func (c *Client) Watch(ctx context.Context, r *resource.Info, ns string, opts ListOptions) (watch.Interface, error) {
	q := opts.query()
	q.Set("watch", "true")
	ctx, cancel := context.WithCancel(ctx)
	resp, err := c.send(ctx, request{method: http.MethodGet, path: r.Path(ns, ""), query: q})
	if err != nil {
		cancel()
		return nil, err
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		defer cancel()
		defer resp.Body.Close()
		body, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
		return nil, statusError(http.MethodGet, resp.StatusCode, body)
	}
	d := &eventDecoder{ctx: ctx, cancel: cancel, body: resp.Body, dec: json.NewDecoder(resp.Body), newObj: r.New}
	return watch.NewStreamWatcher(d, statusReporter{}), nil
}

// wireEvent is one line of a watch stream.
type wireEvent struct {
	Type   watch.EventType `json:"type"`
	Object json.RawMessage `json:"object"`
}

// eventDecoder reads wire events from a watch body (watch.Decoder).
type eventDecoder struct {
	ctx    context.Context
	cancel context.CancelFunc
	body   io.ReadCloser
	dec    *json.Decoder
	newObj func() runtime.Object
}

// Decode returns the next event. io.EOF ends the stream quietly, also when
// the context ended (the reader then sees a cancelled read, not a bad stream).
func (d *eventDecoder) Decode() (watch.EventType, runtime.Object, error) {
	var ev wireEvent
	if err := d.dec.Decode(&ev); err != nil {
		if d.ctx.Err() != nil {
			return "", nil, io.EOF
		}
		return "", nil, err
	}
	switch ev.Type {
	case watch.Added, watch.Modified, watch.Deleted, watch.Bookmark:
		obj := d.newObj()
		if err := json.Unmarshal(ev.Object, obj); err != nil {
			return "", nil, fmt.Errorf("decoding a %s event: %w", ev.Type, err)
		}
		return ev.Type, obj, nil
	case watch.Error:
		st := &metav1.Status{}
		if err := json.Unmarshal(ev.Object, st); err != nil {
			return "", nil, fmt.Errorf("decoding an ERROR event: %w", err)
		}
		return ev.Type, st, nil
	default:
		return "", nil, fmt.Errorf("unknown watch event type %q", ev.Type)
	}
}

// Close ends the request; a blocked Decode returns.
func (d *eventDecoder) Close() {
	d.cancel()
	d.body.Close()
}

// statusReporter turns a stream decoding failure into an ERROR event's object.
type statusReporter struct{}

func (statusReporter) AsObject(err error) runtime.Object {
	st := apierrors.NewInternalError(err).ErrStatus
	return &st
}
