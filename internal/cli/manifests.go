package cli

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/spf13/cobra"
	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/runtime"

	"vigil.dev/vigil/internal/client"
	"vigil.dev/vigil/internal/manifest"
	"vigil.dev/vigil/internal/resource"
)

// manifestObject is one decoded document of a -f file.
type manifestObject struct {
	source   string // the file as the user named it; "STDIN" for -
	r        *resource.Info
	obj      runtime.Object
	json     []byte // the document as written, converted to JSON
	ns, name string
}

// fileFlag registers -f/--filename on a command.
func fileFlag(cmd *cobra.Command, files *[]string, what string) {
	cmd.Flags().StringArrayVarP(files, "filename", "f", nil, "file, directory or - (stdin) with the YAML or JSON manifests "+what)
}

// loadManifests reads and decodes every document of every file before
// anything is sent: with any error, it returns the errors (each naming its
// file and document) and no object. Objects without a namespace get ns;
// an object naming another namespace than an explicit -n is an error.
func loadManifests(cmd *cobra.Command, files []string, ns string, nsExplicit bool) ([]manifestObject, []error) {
	if len(files) == 0 {
		return nil, []error{fmt.Errorf("must give -f FILE (or -f - for stdin)")}
	}
	var objs []manifestObject
	var errs []error
	for _, src := range expandFiles(files, &errs) {
		data, err := readSource(cmd, src)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		o, e := decodeFile(displayName(src), data, ns, nsExplicit)
		objs, errs = append(objs, o...), append(errs, e...)
	}
	if len(errs) > 0 {
		return nil, errs
	}
	if len(objs) == 0 {
		return nil, []error{fmt.Errorf("no objects passed to the command (%s hold no documents)", strings.Join(files, ", "))}
	}
	return objs, nil
}

// expandFiles replaces directories by their .yaml, .yml and .json files.
func expandFiles(files []string, errs *[]error) []string {
	var out []string
	for _, f := range files {
		if f == "-" {
			out = append(out, f)
			continue
		}
		st, err := os.Stat(f)
		if err != nil {
			*errs = append(*errs, fmt.Errorf("the path %q does not exist", f))
			continue
		}
		if !st.IsDir() {
			out = append(out, f)
			continue
		}
		entries, err := os.ReadDir(f)
		if err != nil {
			*errs = append(*errs, fmt.Errorf("reading directory %q: %w", f, err))
			continue
		}
		var found []string
		for _, e := range entries {
			switch strings.ToLower(filepath.Ext(e.Name())) {
			case ".yaml", ".yml", ".json":
				if !e.IsDir() {
					found = append(found, filepath.Join(f, e.Name()))
				}
			}
		}
		sort.Strings(found)
		out = append(out, found...)
	}
	return out
}

func readSource(cmd *cobra.Command, src string) ([]byte, error) {
	if src == "-" {
		data, err := io.ReadAll(cmd.InOrStdin())
		if err != nil {
			return nil, fmt.Errorf("reading STDIN: %w", err)
		}
		return data, nil
	}
	data, err := os.ReadFile(src)
	if err != nil {
		return nil, fmt.Errorf("reading %q: %w", src, err)
	}
	return data, nil
}

func displayName(src string) string {
	if src == "-" {
		return "STDIN"
	}
	return src
}

// decodeFile splits a file into documents and decodes each one.
func decodeFile(source string, data []byte, ns string, nsExplicit bool) ([]manifestObject, []error) {
	docs, err := manifest.SplitDocuments(data)
	if err != nil {
		var errs []error
		for _, e := range splitErrors(err) {
			errs = append(errs, fmt.Errorf("error parsing %s: %w", source, e))
		}
		return nil, errs
	}
	var objs []manifestObject
	var errs []error
	for _, d := range docs {
		where := source + ": " + d.String()
		obj, r, err := manifest.Decode(d.JSON)
		if err != nil {
			for _, e := range splitErrors(err) {
				errs = append(errs, fmt.Errorf("error decoding %s: %w", where, e))
			}
			continue
		}
		mo, err := newManifestObject(source, r, obj, d.JSON, ns, nsExplicit)
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", where, err))
			continue
		}
		objs = append(objs, mo)
	}
	return objs, errs
}

func newManifestObject(source string, r *resource.Info, obj runtime.Object, doc []byte, ns string, nsExplicit bool) (manifestObject, error) {
	m, err := meta.Accessor(obj)
	if err != nil {
		return manifestObject{}, fmt.Errorf("%s: %w", r.Kind, err)
	}
	if r.Namespaced {
		switch own := m.GetNamespace(); {
		case own == "":
			m.SetNamespace(ns)
		case nsExplicit && own != ns:
			return manifestObject{}, fmt.Errorf("the namespace from the provided object %q does not match the namespace %q. You must pass '--namespace=%s' to perform this operation",
				own, ns, own)
		}
	}
	return manifestObject{source: source, r: r, obj: obj, json: doc, ns: m.GetNamespace(), name: m.GetName()}, nil
}

// splitErrors takes joined errors apart, and a strict decoding error into
// its fields, so each is printed on its own line.
func splitErrors(err error) []error {
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		var out []error
		for _, e := range j.Unwrap() {
			out = append(out, splitErrors(e)...)
		}
		return out
	}
	var se *manifest.StrictError
	if errors.As(err, &se) && len(se.Errs) > 1 {
		out := make([]error, len(se.Errs))
		for i, fe := range se.Errs {
			out[i] = fe
		}
		return out
	}
	return []error{err}
}

// printErrors writes each error on stderr, kubectl style.
func printErrors(cmd *cobra.Command, errs []error) {
	for _, err := range errs {
		fprintf(cmd.ErrOrStderr(), "%s\n", formatError(err, ""))
	}
}

// eachManifest decodes every document of the files first (a decoding error
// in any of them sends nothing), then calls act on each object in order and
// prints "KIND/NAME OUTCOME", or the error "error when VERBING FILE". It
// goes on after an error, except when the daemon is out of reach (the next
// documents would fail the same way), and fails if any object did.
func eachManifest(cmd *cobra.Command, e *env, files []string, verbing string,
	act func(c *client.Client, o manifestObject) (name, outcome string, err error)) error {
	objs, errs := loadManifests(cmd, files, e.namespace, namespaceSet(cmd))
	if len(errs) > 0 {
		printErrors(cmd, errs)
		return failed()
	}
	c, err := e.client(cmd)
	if err != nil {
		return err
	}
	ok := true
	for _, o := range objs {
		name, outcome, err := act(c, o)
		if err != nil {
			fprintf(cmd.ErrOrStderr(), "%s\n", formatError(err, "error when "+verbing+" "+quote(o.source)))
			if client.IsUnreachable(err) {
				return failed()
			}
			ok = false
			continue
		}
		fprintf(cmd.OutOrStdout(), "%s %s\n", objectRef(o.r, name), outcome)
	}
	if !ok {
		return failed()
	}
	return nil
}
