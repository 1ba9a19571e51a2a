package cli

import (
	"fmt"
	"io"
	"strings"
	"time"
	"unicode/utf8"

	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"

	"vigil.dev/vigil/internal/printers"
	"vigil.dev/vigil/internal/resource"
)

// printOptions shape a table.
type printOptions struct {
	wide          bool // -o wide: extra columns
	allNamespaces bool // -A: a NAMESPACE column first
	noHeaders     bool
}

// tableHeaders are the column names for a kind under opts.
func tableHeaders(r *resource.Info, opts printOptions) []string {
	p, ok := printers.For(r)
	if !ok {
		return nil
	}
	h := p.Headers(opts.wide)
	if opts.allNamespaces {
		h = append([]string{"NAMESPACE"}, h...)
	}
	return h
}

// tableRows renders objects of kind r as rows (without headers).
func tableRows(r *resource.Info, objs []runtime.Object, now time.Time, opts printOptions) ([][]string, error) {
	p, ok := printers.For(r)
	if !ok {
		return nil, errNoPrinter(r)
	}
	rows := make([][]string, 0, len(objs))
	for _, o := range objs {
		row, err := p.Row(o, now, opts.wide)
		if err != nil {
			return nil, err
		}
		if opts.allNamespaces {
			m, err := meta.Accessor(o)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", r.Kind, err)
			}
			row = append([]string{m.GetNamespace()}, row...)
		}
		rows = append(rows, row)
	}
	return rows, nil
}

// tableWriter aligns columns the way kubectl's tabwriter does: each column
// is as wide as its widest cell plus 3 spaces (at least 6), the last column
// is not padded. Widths are remembered across writes, so rows printed later
// by a watch stay under their headers.
type tableWriter struct {
	out    io.Writer
	widths []int
}

func newTableWriter(out io.Writer) *tableWriter { return &tableWriter{out: out} }

// write prints rows (cells hold no tabs or newlines after cleaning).
func (t *tableWriter) write(rows [][]string) {
	for _, row := range rows {
		for i, c := range row[:max(len(row)-1, 0)] {
			w := max(utf8.RuneCountInString(cleanCell(c))+3, 6)
			if i >= len(t.widths) {
				t.widths = append(t.widths, w)
			} else if w > t.widths[i] {
				t.widths[i] = w
			}
		}
	}
	var b strings.Builder
	for _, row := range rows {
		for i, c := range row {
			c = cleanCell(c)
			b.WriteString(c)
			if i < len(row)-1 {
				b.WriteString(strings.Repeat(" ", t.widths[i]-utf8.RuneCountInString(c)))
			}
		}
		b.WriteByte('\n')
	}
	_, _ = io.WriteString(t.out, b.String())
}

func cleanCell(c string) string { return strings.NewReplacer("\t", " ", "\n", " ").Replace(c) }

// age is kubectl's AGE cell: "5s", "3m12s", "<unknown>" for no timestamp.
func age(t metav1.Time, now time.Time) string { return printers.Age(t, now) }

// orNone is the cell for an empty value.
func orNone(s string) string { return printers.OrNone(s) }

func trueFalse(b bool) string { return printers.TrueFalse(b) }
