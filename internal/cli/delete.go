package cli

import (
	"context"
	"fmt"
	"time"

	"github.com/spf13/cobra"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"vigil.dev/vigil/internal/client"
	"vigil.dev/vigil/internal/resource"
)

type deleteOptions struct {
	files          []string
	ignoreNotFound bool
	wait           bool
	timeout        time.Duration
}

func newDeleteCommand(e *env) *cobra.Command {
	var o deleteOptions
	cmd := &cobra.Command{
		Use:   "delete (-f FILE | TYPE NAME... | TYPE/NAME...)",
		Short: "Delete objects by file or by type and name",
		Example: "  vigil delete vm myvm\n  vigil delete -f vm.yaml\n" +
			"  vigil delete vmi/myvm --wait=false",
		ValidArgsFunction: completeTypes,
		RunE: func(cmd *cobra.Command, args []string) error {
			return runDelete(cmd, e, o, args)
		},
	}
	fileFlag(cmd, &o.files, "whose objects to delete")
	cmd.Flags().BoolVar(&o.ignoreNotFound, "ignore-not-found", false, "treat an object that does not exist as deleted")
	cmd.Flags().BoolVar(&o.wait, "wait", true, "wait until the objects are gone")
	cmd.Flags().DurationVar(&o.timeout, "timeout", 0, "how long --wait waits (0: until the objects are gone)")
	return cmd
}

// deleteTarget is one object to delete.
type deleteTarget struct {
	r        *resource.Info
	ns, name string
}

func runDelete(cmd *cobra.Command, e *env, o deleteOptions, args []string) error {
	targets, err := deleteTargets(cmd, e, o, args)
	if err != nil {
		return err
	}
	c, err := e.client(cmd)
	if err != nil {
		return err
	}
	ok := true
	var deleted []deleteTarget
	policy := metav1.DeletePropagationBackground
	for _, t := range targets {
		err := c.Delete(cmd.Context(), t.r, t.ns, t.name, metav1.DeleteOptions{PropagationPolicy: &policy})
		switch {
		case apierrors.IsNotFound(err) && o.ignoreNotFound:
		case err != nil:
			fprintf(cmd.ErrOrStderr(), "%s\n", formatError(err, ""))
			if client.IsUnreachable(err) {
				return failed()
			}
			ok = false
		default:
			fprintf(cmd.OutOrStdout(), "%s %q deleted\n", kindGroup(t.r), t.name)
			deleted = append(deleted, t)
		}
	}
	if o.wait && len(deleted) > 0 {
		if err := waitAllDeleted(cmd.Context(), c, deleted, o.timeout); err != nil {
			return err
		}
	}
	if !ok {
		return failed()
	}
	return nil
}

// deleteTargets reads the objects from -f files or from the arguments.
func deleteTargets(cmd *cobra.Command, e *env, o deleteOptions, args []string) ([]deleteTarget, error) {
	if len(o.files) > 0 {
		if len(args) > 0 {
			return nil, fmt.Errorf("give either -f FILE or TYPE NAME..., not both")
		}
		objs, errs := loadManifests(cmd, o.files, e.namespace, namespaceSet(cmd))
		if len(errs) > 0 {
			printErrors(cmd, errs)
			return nil, failed()
		}
		out := make([]deleteTarget, 0, len(objs))
		for _, m := range objs {
			if m.name == "" {
				return nil, fmt.Errorf("%s: a %s without metadata.name cannot be deleted", m.source, m.r.Kind)
			}
			out = append(out, deleteTarget{m.r, m.ns, m.name})
		}
		return out, nil
	}
	r, names, err := typeNames(args)
	if err != nil {
		return nil, err
	}
	if len(names) == 0 {
		return nil, fmt.Errorf("name the %s to delete (vigil delete %s NAME)", r.Resource, r.ShortNames[0])
	}
	out := make([]deleteTarget, 0, len(names))
	for _, n := range names {
		out = append(out, deleteTarget{r, e.namespace, n})
	}
	return out, nil
}

// waitAllDeleted waits for each deleted object to be gone for good.
func waitAllDeleted(ctx context.Context, c *client.Client, targets []deleteTarget, timeout time.Duration) error {
	if timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, timeout)
		defer cancel()
	}
	for _, t := range targets {
		w := waiter{c: c, r: t.r, ns: t.ns, name: t.name, cond: waitDeleted}
		if err := w.run(ctx); err != nil {
			return err
		}
	}
	return nil
}
