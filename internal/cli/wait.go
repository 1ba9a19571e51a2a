package cli

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/spf13/cobra"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/watch"

	"vigil.dev/vigil/internal/client"
	"vigil.dev/vigil/internal/resource"
)

// waitCondition is what `wait --for` asks: the object gone, or a condition
// of it with a status (both compared case-insensitively, as kubectl does).
type waitCondition struct {
	deleted          bool
	condType, status string
}

// waitDeleted waits for an object to be gone.
var waitDeleted = waitCondition{deleted: true}

// parseFor reads --for: "delete", "condition=Ready" or "condition=Ready=False".
func parseFor(s string) (waitCondition, error) {
	if strings.EqualFold(s, "delete") {
		return waitDeleted, nil
	}
	rest, ok := strings.CutPrefix(s, "condition=")
	if !ok || rest == "" {
		return waitCondition{}, fmt.Errorf("--for=%q: want condition=TYPE[=STATUS] or delete", s)
	}
	typ, status, hasStatus := strings.Cut(rest, "=")
	if !hasStatus {
		status = "True"
	}
	if typ == "" || status == "" {
		return waitCondition{}, fmt.Errorf("--for=%q: want condition=TYPE[=STATUS] or delete", s)
	}
	return waitCondition{condType: typ, status: status}, nil
}

// met tells whether obj (nil: it does not exist) satisfies the condition.
func (wc waitCondition) met(obj runtime.Object) bool {
	if wc.deleted || obj == nil {
		return wc.deleted && obj == nil
	}
	u, err := runtime.DefaultUnstructuredConverter.ToUnstructured(obj)
	if err != nil {
		return false
	}
	conds, _, _ := unstructured.NestedSlice(u, "status", "conditions")
	gen, _, _ := unstructured.NestedInt64(u, "metadata", "generation")
	for _, c := range conds {
		m, ok := c.(map[string]any)
		if !ok {
			continue
		}
		if t, _ := m["type"].(string); !strings.EqualFold(t, wc.condType) {
			continue
		}
		// A condition about an older generation says nothing yet.
		if og, ok := m["observedGeneration"].(int64); ok && gen != 0 && og != gen {
			return false
		}
		st, _ := m["status"].(string)
		return strings.EqualFold(st, wc.status)
	}
	return false
}

// waiter waits for one object by listing then watching it by name.
type waiter struct {
	c        *client.Client
	r        *resource.Info
	ns, name string
	cond     waitCondition
	once     bool // check the present state only (--timeout=0)
}

// relistPause paces re-lists when a server keeps ending watch streams.
const relistPause = time.Second

// run returns nil once the condition holds, a timeout error when ctx's
// deadline passes first.
func (w waiter) run(ctx context.Context) error {
	for attempt := 0; ; attempt++ {
		obj, rv, err := w.current(ctx)
		if err != nil {
			return w.ctxError(ctx, err)
		}
		if w.cond.met(obj) {
			return nil
		}
		if w.once {
			return w.timeoutError()
		}
		done, err := w.watchFrom(ctx, rv)
		if done || err != nil {
			return w.ctxError(ctx, err)
		}
		select {
		case <-ctx.Done():
			return w.ctxError(ctx, ctx.Err())
		case <-time.After(min(time.Duration(attempt)*relistPause/4, relistPause)):
		}
	}
}

func (w waiter) fieldSelector() string { return "metadata.name=" + w.name }

// current lists the object by name: it, or nil, and the list's resourceVersion.
func (w waiter) current(ctx context.Context) (runtime.Object, string, error) {
	list := w.r.NewList()
	if err := w.c.List(ctx, w.r, w.ns, client.ListOptions{FieldSelector: w.fieldSelector()}, list); err != nil {
		return nil, "", err
	}
	lm, err := meta.ListAccessor(list)
	if err != nil {
		return nil, "", err
	}
	items, err := meta.ExtractList(list)
	if err != nil {
		return nil, "", err
	}
	for _, it := range items {
		if m, err := meta.Accessor(it); err == nil && m.GetName() == w.name {
			return it, lm.GetResourceVersion(), nil
		}
	}
	return nil, lm.GetResourceVersion(), nil
}

// watchFrom follows the object's changes; done when the condition holds.
// It returns (false, nil) when the stream ends or expires: list again.
func (w waiter) watchFrom(ctx context.Context, rv string) (bool, error) {
	wi, err := w.c.Watch(ctx, w.r, w.ns, client.ListOptions{FieldSelector: w.fieldSelector(), ResourceVersion: rv})
	if err != nil {
		if apierrors.IsResourceExpired(err) || apierrors.IsGone(err) {
			return false, nil
		}
		return false, err
	}
	defer wi.Stop()
	for {
		select {
		case <-ctx.Done():
			return false, ctx.Err()
		case ev, ok := <-wi.ResultChan():
			if !ok {
				return false, nil
			}
			done, err := w.handle(ev)
			if done || err != nil {
				return done, err
			}
		}
	}
}

func (w waiter) handle(ev watch.Event) (bool, error) {
	if ev.Type == watch.Error {
		err := apierrors.FromObject(ev.Object)
		if apierrors.IsResourceExpired(err) || apierrors.IsGone(err) {
			return false, nil
		}
		return false, fmt.Errorf("watching %s/%s: %w", w.r.Resource, w.name, err)
	}
	m, err := meta.Accessor(ev.Object)
	if err != nil || m.GetName() != w.name {
		return false, nil // a server that ignores the field selector
	}
	switch ev.Type {
	case watch.Added, watch.Modified:
		return w.cond.met(ev.Object), nil
	case watch.Deleted:
		return w.cond.met(nil), nil
	}
	return false, nil
}

// ctxError turns the end of the deadline into kubectl's timeout message.
func (w waiter) ctxError(ctx context.Context, err error) error {
	if err == nil {
		return nil
	}
	if errors.Is(ctx.Err(), context.DeadlineExceeded) {
		return w.timeoutError()
	}
	return err
}

func (w waiter) timeoutError() error {
	return fmt.Errorf("timed out waiting for the condition on %s/%s", w.r.Resource, w.name)
}

func newWaitCommand(e *env) *cobra.Command {
	var forFlag string
	var timeout time.Duration
	cmd := &cobra.Command{
		Use:   "wait (TYPE NAME... | TYPE/NAME...) --for=condition=TYPE[=STATUS]|delete",
		Short: "Wait for a condition of objects, or for their deletion",
		Long: "Wait until each object has the condition (status True unless given; type and status compare " +
			"case-insensitively) or is gone. An object that does not exist yet is waited for.",
		Example:           "  vigil wait vmi myvm --for=condition=Ready --timeout=2m\n  vigil wait vm/myvm --for=delete",
		ValidArgsFunction: completeTypes,
		RunE: func(cmd *cobra.Command, args []string) error {
			return runWait(cmd, e, args, forFlag, timeout)
		},
	}
	cmd.Flags().StringVar(&forFlag, "for", "", "condition=TYPE[=STATUS] or delete")
	cmd.Flags().DurationVar(&timeout, "timeout", 30*time.Second, "how long to wait (0: check once; negative: a week)")
	return cmd
}

func runWait(cmd *cobra.Command, e *env, args []string, forFlag string, timeout time.Duration) error {
	cond, err := parseFor(forFlag)
	if err != nil {
		return err
	}
	r, names, err := typeNames(args)
	if err != nil {
		return err
	}
	if len(names) == 0 {
		return fmt.Errorf("name the %s to wait for", r.Resource)
	}
	c, err := e.client(cmd)
	if err != nil {
		return err
	}
	if timeout < 0 {
		timeout = 7 * 24 * time.Hour
	}
	ctx := cmd.Context()
	if timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, timeout)
		defer cancel()
	}
	for _, n := range names {
		w := waiter{c: c, r: r, ns: e.namespace, name: n, cond: cond, once: timeout == 0}
		if err := w.run(ctx); err != nil {
			return err
		}
		fprintf(cmd.OutOrStdout(), "%s condition met\n", objectRef(r, n))
	}
	return nil
}
