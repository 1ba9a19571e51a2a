package cli

import (
	"context"
	"fmt"
	"io"
	"sort"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"

	v1 "vigil.dev/vigil/api/v1"
	"vigil.dev/vigil/internal/client"
	"vigil.dev/vigil/internal/resource"
)

func newDescribeCommand(e *env) *cobra.Command {
	return &cobra.Command{
		Use:   "describe (vm|vmi|svc) [NAME...]",
		Short: "Show a readable summary of VirtualMachines, their instances or Services, with their events",
		Long: "Show metadata, run strategy and status, probes with their timing after defaults, the watchdog, " +
			"the boot source and volumes, conditions and the object's events; for a Service its addresses, " +
			"ports and endpoints (ready and not ready). Without a name, every object of the namespace is described.",
		Example:           "  vigil describe vm myvm\n  vigil describe vmi/myvm\n  vigil describe svc web",
		ValidArgsFunction: completeTypes,
		RunE: func(cmd *cobra.Command, args []string) error {
			return runDescribe(cmd, e, args)
		},
	}
}

func runDescribe(cmd *cobra.Command, e *env, args []string) error {
	r, names, err := typeNames(args)
	if err != nil {
		return err
	}
	if r != resource.VirtualMachines && r != resource.VirtualMachineInstances && r != resource.Services {
		return fmt.Errorf("describe shows virtualmachines (vm), virtualmachineinstances (vmi) and services (svc), not %s", r.Resource)
	}
	c, err := e.client(cmd)
	if err != nil {
		return err
	}
	objs, ok, err := describeTargets(cmd, e, c, r, names)
	if err != nil {
		return err
	}
	for i, obj := range objs {
		if i > 0 {
			fprintf(cmd.OutOrStdout(), "\n\n")
		}
		rel := related{}
		rel.events, rel.eventsErr = objectEvents(cmd.Context(), c, r, obj)
		if svc, ok := obj.(*corev1.Service); ok {
			rel.endpoints, rel.endpointsErr = serviceEndpoints(cmd.Context(), c, svc)
		}
		describeObject(cmd.OutOrStdout(), obj, rel, e.now())
	}
	if !ok {
		return failed()
	}
	return nil
}

// describeTargets gets the named objects (reporting each failure), or lists
// them all when no name is given.
func describeTargets(cmd *cobra.Command, e *env, c *client.Client, r *resource.Info, names []string) ([]runtime.Object, bool, error) {
	if len(names) == 0 {
		list := r.NewList()
		if err := c.List(cmd.Context(), r, e.namespace, client.ListOptions{}, list); err != nil {
			return nil, false, reportError(cmd, err)
		}
		items, err := meta.ExtractList(list)
		if len(items) == 0 && err == nil {
			fprintf(cmd.ErrOrStderr(), "%s\n", noResources(e.namespace))
		}
		return items, true, err
	}
	var objs []runtime.Object
	ok := true
	for _, n := range names {
		obj := r.New()
		if err := c.Get(cmd.Context(), r, e.namespace, n, obj); err != nil {
			fprintf(cmd.ErrOrStderr(), "%s\n", formatError(err, ""))
			if client.IsUnreachable(err) {
				return nil, false, failed()
			}
			ok = false
			continue
		}
		objs = append(objs, obj)
	}
	return objs, ok, nil
}

// objectEvents lists the events about one object, oldest first.
func objectEvents(ctx context.Context, c *client.Client, r *resource.Info, obj runtime.Object) ([]corev1.Event, error) {
	sel := fmt.Sprintf("involvedObject.name=%s,involvedObject.namespace=%s,involvedObject.kind=%s",
		nameOf(obj), namespaceOf(obj), r.Kind)
	var list corev1.EventList
	if err := c.List(ctx, resource.Events, namespaceOf(obj), client.ListOptions{FieldSelector: sel}, &list); err != nil {
		return nil, err
	}
	sort.SliceStable(list.Items, func(i, j int) bool {
		return eventLastSeen(&list.Items[i]).Time.Before(eventLastSeen(&list.Items[j]).Time)
	})
	return list.Items, nil
}

// related is what describe shows besides the object: its events and, for
// a Service, its Endpoints (nil when there are none).
type related struct {
	events       []corev1.Event
	eventsErr    error
	endpoints    *corev1.Endpoints
	endpointsErr error
}

// describeObject writes the summary of a VM, VMI or Service. It is a pure
// function of its inputs.
func describeObject(out io.Writer, obj runtime.Object, rel related, now time.Time) {
	d := newDescriber(out)
	switch o := obj.(type) {
	case *v1.VirtualMachine:
		describeVM(d, o, now)
	case *v1.VirtualMachineInstance:
		describeVMI(d, o, now)
	case *corev1.Service:
		describeService(d, o, rel.endpoints, rel.endpointsErr, now)
	}
	d.events(rel.events, rel.eventsErr, now)
	d.flush()
}

// describer writes "Key:  value" lines, indented by level, aligned by a tabwriter.
type describer struct{ tw *tabwriter.Writer }

func newDescriber(out io.Writer) *describer {
	return &describer{tw: tabwriter.NewWriter(out, 0, 8, 2, ' ', 0)}
}

func (d *describer) line(level int, key, value string) {
	fprintf(d.tw, "%s%s:\t%s\n", strings.Repeat("  ", level), key, value)
}

// section writes a heading with nothing after it.
func (d *describer) section(level int, key string) {
	fprintf(d.tw, "%s%s:\n", strings.Repeat("  ", level), key)
}

// row writes tab-separated cells at a level (for small tables).
func (d *describer) row(level int, cells ...string) {
	fprintf(d.tw, "%s%s\n", strings.Repeat("  ", level), strings.Join(cells, "\t"))
}

func (d *describer) flush() { _ = d.tw.Flush() }

// mapLines writes a map as one "k=v" per line, the first beside the key.
func (d *describer) mapLines(level int, key string, m map[string]string, skip ...string) {
	keys := make([]string, 0, len(m))
	for k := range m {
		if !contains(skip, k) {
			keys = append(keys, k)
		}
	}
	if len(keys) == 0 {
		d.line(level, key, "<none>")
		return
	}
	sort.Strings(keys)
	for i, k := range keys {
		if i == 0 {
			d.line(level, key, k+"="+m[k])
			continue
		}
		d.row(level, "", k+"="+m[k])
	}
}

func (d *describer) metadata(m *metav1.ObjectMeta, apiVersion, kind string, now time.Time) {
	d.line(0, "Name", m.Name)
	d.line(0, "Namespace", m.Namespace)
	d.mapLines(0, "Labels", m.Labels)
	d.mapLines(0, "Annotations", m.Annotations, lastAppliedAnnotation)
	d.line(0, "API Version", apiVersion)
	d.line(0, "Kind", kind)
	d.line(0, "UID", orNone(string(m.UID)))
	d.line(0, "Created", timestamp(m.CreationTimestamp, now))
	if m.DeletionTimestamp != nil {
		d.line(0, "Deleting Since", timestamp(*m.DeletionTimestamp, now))
	}
}

// condition is what VM and VMI conditions have in common.
type condition struct {
	typ, status, reason, message string
	lastTransition               metav1.Time
}

func (d *describer) conditions(conds []condition, now time.Time) {
	if len(conds) == 0 {
		d.line(0, "Conditions", "<none>")
		return
	}
	d.section(0, "Conditions")
	d.row(1, "Type", "Status", "Reason", "Message", "Last Transition")
	d.row(1, "----", "------", "------", "-------", "---------------")
	for _, c := range conds {
		d.row(1, c.typ, c.status, orNone(c.reason), orNone(c.message), age(c.lastTransition, now))
	}
}

func (d *describer) events(events []corev1.Event, err error, now time.Time) {
	switch {
	case err != nil:
		d.line(0, "Events", fmt.Sprintf("<unavailable: %v>", err))
		return
	case len(events) == 0:
		d.line(0, "Events", "<none>")
		return
	}
	d.section(0, "Events")
	d.row(1, "Type", "Reason", "Age", "From", "Message")
	d.row(1, "----", "------", "----", "----", "-------")
	for i := range events {
		ev := &events[i]
		d.row(1, ev.Type, ev.Reason, eventInterval(ev, now), orNone(eventSource(ev)), strings.TrimSpace(ev.Message))
	}
}

// timestamp is "Mon, 02 Jan 2006 15:04:05 -0700 (5m ago)".
func timestamp(t metav1.Time, now time.Time) string {
	if t.IsZero() {
		return "<unknown>"
	}
	return fmt.Sprintf("%s (%s ago)", t.Time.Format(time.RFC1123Z), age(t, now))
}

func namespaceOf(obj runtime.Object) string {
	if m, ok := obj.(metav1.Object); ok {
		return m.GetNamespace()
	}
	return ""
}
