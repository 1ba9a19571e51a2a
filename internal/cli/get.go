package cli

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/runtime"
	"sigs.k8s.io/yaml"

	"vigil.dev/vigil/internal/client"
	"vigil.dev/vigil/internal/resource"
)

type getOptions struct {
	output        string
	watch         bool
	allNamespaces bool
	labelSelector string
	fieldSelector string
	noHeaders     bool
}

var outputFormats = []string{"json", "name", "wide", "yaml"}

func newGetCommand(e *env) *cobra.Command {
	var o getOptions
	cmd := &cobra.Command{
		Use:   "get TYPE [NAME...]",
		Short: "List objects, or show some by name",
		Long:  "Print objects as a table, or as the API returns them (-o json, -o yaml). Types: " + knownTypes() + ".",
		Example: "  vigil get vm\n  vigil get vmi -A -o wide\n  vigil get vm myvm -o yaml\n" +
			"  vigil get events --field-selector involvedObject.name=myvm\n  vigil get vmi -w",
		ValidArgsFunction: completeTypes,
		RunE: func(cmd *cobra.Command, args []string) error {
			return runGet(cmd, e, o, args)
		},
	}
	f := cmd.Flags()
	f.StringVarP(&o.output, "output", "o", "", "output format: "+strings.Join(outputFormats, ", "))
	f.BoolVarP(&o.watch, "watch", "w", false, "after listing, print each change until interrupted")
	f.BoolVarP(&o.allNamespaces, "all-namespaces", "A", false, "list objects of every namespace")
	f.StringVarP(&o.labelSelector, "selector", "l", "", "label selector (app=x,tier!=db)")
	f.StringVar(&o.fieldSelector, "field-selector", "", "field selector (metadata.name=x)")
	f.BoolVar(&o.noHeaders, "no-headers", false, "print tables without their header line")
	return cmd
}

func (o getOptions) printOptions() printOptions {
	return printOptions{wide: o.output == "wide", allNamespaces: o.allNamespaces, noHeaders: o.noHeaders}
}

func runGet(cmd *cobra.Command, e *env, o getOptions, args []string) error {
	r, names, err := typeNames(args)
	if err != nil {
		return err
	}
	if o.output != "" && !contains(outputFormats, o.output) {
		return fmt.Errorf("unable to match a printer suitable for the output format %q, allowed formats are: %s",
			o.output, strings.Join(outputFormats, ","))
	}
	c, err := e.client(cmd)
	if err != nil {
		return err
	}
	ns := e.namespace
	if o.allNamespaces && len(names) == 0 {
		ns = ""
	}
	if o.watch {
		return runGetWatch(cmd, e, c, o, r, ns, names)
	}
	if len(names) > 0 {
		return getNamed(cmd, e, c, o, r, names)
	}
	return getList(cmd, e, c, o, r, ns)
}

// getList prints a collection; -o json/yaml print the list body as it came.
func getList(cmd *cobra.Command, e *env, c *client.Client, o getOptions, r *resource.Info, ns string) error {
	q := url.Values{}
	if o.labelSelector != "" {
		q.Set("labelSelector", o.labelSelector)
	}
	if o.fieldSelector != "" {
		q.Set("fieldSelector", o.fieldSelector)
	}
	resp, err := c.Do(cmd.Context(), http.MethodGet, r.Path(ns, ""), q, nil, "")
	if err != nil {
		return reportError(cmd, err)
	}
	items, err := decodeItems(r, resp.Body)
	if err != nil {
		return err
	}
	if len(items) == 0 && (o.output == "" || o.output == "wide" || o.output == "name") {
		fprintf(cmd.ErrOrStderr(), "%s\n", noResources(ns))
		return nil
	}
	return printObjects(cmd, e, o, r, items, resp.Body)
}

// getNamed prints the named objects; it reports each one it cannot get and
// then exits 1.
func getNamed(cmd *cobra.Command, e *env, c *client.Client, o getOptions, r *resource.Info, names []string) error {
	var items []runtime.Object
	var raws []json.RawMessage
	ok := true
	for _, n := range names {
		resp, err := c.Do(cmd.Context(), http.MethodGet, r.Path(e.namespace, n), nil, nil, "")
		if err != nil {
			fprintf(cmd.ErrOrStderr(), "%s\n", formatError(err, ""))
			if client.IsUnreachable(err) {
				return failed()
			}
			ok = false
			continue
		}
		obj := r.New()
		if err := json.Unmarshal(resp.Body, obj); err != nil {
			return fmt.Errorf("decoding %s %q: %w", r.Kind, n, err)
		}
		items, raws = append(items, obj), append(raws, resp.Body)
	}
	if len(items) > 0 {
		raw := []byte(raws[0])
		if len(raws) > 1 {
			var err error
			if raw, err = rawList(raws); err != nil {
				return err
			}
		}
		if err := printObjects(cmd, e, o, r, items, raw); err != nil {
			return err
		}
	}
	if !ok {
		return failed()
	}
	return nil
}

// printObjects prints typed objects in the chosen format; raw is what the
// API sent (the object, or the list), printed untouched for -o json.
func printObjects(cmd *cobra.Command, e *env, o getOptions, r *resource.Info, items []runtime.Object, raw []byte) error {
	out := cmd.OutOrStdout()
	switch o.output {
	case "json":
		return writeJSON(out, raw)
	case "yaml":
		y, err := yaml.JSONToYAML(raw)
		if err != nil {
			return fmt.Errorf("converting to YAML: %w", err)
		}
		_, err = out.Write(y)
		return err
	case "name":
		for _, it := range items {
			fprintf(out, "%s\n", objectRef(r, nameOf(it)))
		}
		return nil
	}
	if r == resource.Events {
		sortEventsByLastSeen(items)
	}
	return writeTable(newTableWriter(out), r, items, e.now(), o.printOptions(), !o.noHeaders)
}

// writeTable writes rows, with the header line first when asked.
func writeTable(w *tableWriter, r *resource.Info, items []runtime.Object, now time.Time, opts printOptions, headers bool) error {
	rows, err := tableRows(r, items, now, opts)
	if err != nil {
		return err
	}
	if headers {
		rows = append([][]string{tableHeaders(r, opts)}, rows...)
	}
	w.write(rows)
	return nil
}

func writeJSON(w io.Writer, raw []byte) error {
	if _, err := w.Write(raw); err != nil {
		return err
	}
	if !bytes.HasSuffix(raw, []byte("\n")) {
		_, err := w.Write([]byte("\n"))
		return err
	}
	return nil
}

// rawList wraps several raw objects in a v1 List, as kubectl does for
// `get TYPE A B -o json`.
func rawList(items []json.RawMessage) ([]byte, error) {
	list := struct {
		APIVersion string            `json:"apiVersion"`
		Kind       string            `json:"kind"`
		Items      []json.RawMessage `json:"items"`
		Metadata   map[string]string `json:"metadata"`
	}{"v1", "List", items, map[string]string{"resourceVersion": ""}}
	return json.MarshalIndent(list, "", "    ")
}

// decodeItems decodes a raw list body into its typed items.
func decodeItems(r *resource.Info, body []byte) ([]runtime.Object, error) {
	list := r.NewList()
	if err := json.Unmarshal(body, list); err != nil {
		return nil, fmt.Errorf("decoding the %s list: %w", r.Resource, err)
	}
	items, err := meta.ExtractList(list)
	if err != nil {
		return nil, fmt.Errorf("reading the %s list: %w", r.Resource, err)
	}
	return items, nil
}

func noResources(ns string) string {
	if ns == "" {
		return "No resources found"
	}
	return fmt.Sprintf("No resources found in %s namespace.", ns)
}

func nameOf(obj runtime.Object) string {
	if m, err := meta.Accessor(obj); err == nil {
		return m.GetName()
	}
	return ""
}

// reportError prints an error kubectl style and ends the command with exit 1.
func reportError(cmd *cobra.Command, err error) error {
	fprintf(cmd.ErrOrStderr(), "%s\n", formatError(err, ""))
	return failed()
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
