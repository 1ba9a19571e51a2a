package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"io"

	"github.com/spf13/cobra"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/watch"
	"sigs.k8s.io/yaml"

	"vigil.dev/vigil/internal/client"
	"vigil.dev/vigil/internal/resource"
)

// watchPrinter prints objects one by one as a watch delivers them.
type watchPrinter struct {
	out       io.Writer
	tw        *tableWriter
	e         *env
	o         getOptions
	r         *resource.Info
	headerOut bool
}

// print writes objects in the chosen format and flushes them.
func (p *watchPrinter) print(objs []runtime.Object) error {
	if len(objs) == 0 {
		return nil
	}
	switch p.o.output {
	case "json", "yaml":
		for _, obj := range objs {
			if err := p.printEncoded(obj); err != nil {
				return err
			}
		}
		return nil
	case "name":
		for _, obj := range objs {
			fprintf(p.out, "%s\n", objectRef(p.r, nameOf(obj)))
		}
		return nil
	}
	headers := !p.headerOut && !p.o.noHeaders
	if err := writeTable(p.tw, p.r, objs, p.e.now(), p.o.printOptions(), headers); err != nil {
		return err
	}
	p.headerOut = true
	return nil
}

func (p *watchPrinter) printEncoded(obj runtime.Object) error {
	data, err := json.MarshalIndent(obj, "", "    ")
	if err != nil {
		return fmt.Errorf("encoding %s %q: %w", p.r.Kind, nameOf(obj), err)
	}
	if p.o.output == "yaml" {
		if data, err = yaml.JSONToYAML(data); err != nil {
			return fmt.Errorf("converting to YAML: %w", err)
		}
		fprintf(p.out, "---\n")
		_, err = p.out.Write(data)
		return err
	}
	return writeJSON(p.out, data)
}

// runGetWatch lists (the named objects, or all), prints them, then prints
// every change until interrupted or until the server ends the stream.
func runGetWatch(cmd *cobra.Command, e *env, c *client.Client, o getOptions, r *resource.Info, ns string, names []string) error {
	opts := client.ListOptions{LabelSelector: o.labelSelector, FieldSelector: o.fieldSelector}
	if len(names) == 1 && opts.FieldSelector == "" {
		opts.FieldSelector = "metadata.name=" + names[0]
	}
	want := nameFilter(names)
	list := r.NewList()
	if err := c.List(cmd.Context(), r, ns, opts, list); err != nil {
		return reportError(cmd, err)
	}
	items, err := meta.ExtractList(list)
	if err != nil {
		return err
	}
	p := &watchPrinter{out: cmd.OutOrStdout(), tw: newTableWriter(cmd.OutOrStdout()), e: e, o: o, r: r}
	if err := p.print(filterObjects(items, want)); err != nil {
		return err
	}
	lm, err := meta.ListAccessor(list)
	if err != nil {
		return err
	}
	opts.ResourceVersion = lm.GetResourceVersion()
	w, err := c.Watch(cmd.Context(), r, ns, opts)
	if err != nil {
		return reportError(cmd, err)
	}
	defer w.Stop()
	return followWatch(cmd.Context(), w, func(ev watch.Event) error {
		if ev.Type == watch.Error {
			return reportError(cmd, apierrors.FromObject(ev.Object))
		}
		if ev.Type == watch.Bookmark {
			return nil
		}
		return p.print(filterObjects([]runtime.Object{ev.Object}, want))
	})
}

// followWatch hands each event to fn until the stream or ctx ends (both
// normal ends of `get -w`) or fn fails.
func followWatch(ctx context.Context, w watch.Interface, fn func(watch.Event) error) error {
	for {
		select {
		case <-ctx.Done():
			return nil
		case ev, ok := <-w.ResultChan():
			if !ok {
				return nil
			}
			if err := fn(ev); err != nil {
				return err
			}
		}
	}
}

func nameFilter(names []string) map[string]bool {
	if len(names) == 0 {
		return nil
	}
	m := make(map[string]bool, len(names))
	for _, n := range names {
		m[n] = true
	}
	return m
}

func filterObjects(objs []runtime.Object, want map[string]bool) []runtime.Object {
	if want == nil {
		return objs
	}
	out := objs[:0:0]
	for _, o := range objs {
		if want[nameOf(o)] {
			out = append(out, o)
		}
	}
	return out
}
