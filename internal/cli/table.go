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
	"k8s.io/apimachinery/pkg/util/duration"

	"vigil.dev/vigil/internal/resource"
)

// printOptions shape a table.
type printOptions struct {
	wide          bool // -o wide: extra columns
	allNamespaces bool // -A: a NAMESPACE column first
	noHeaders     bool
}

// kindPrinter turns objects of one kind into table rows. Rows are pure
// functions of the object and `now`.
type kindPrinter struct {
	headers func(wide bool) []string
	row     func(obj runtime.Object, now time.Time, wide bool) ([]string, error)
}

// printers holds a table printer per served kind.
var printers = map[*resource.Info]kindPrinter{
	resource.VirtualMachines:         {vmHeaders, vmRow},
	resource.VirtualMachineInstances: {vmiHeaders, vmiRow},
	resource.Services:                {serviceHeaders, serviceRow},
	resource.Endpoints:               {endpointsHeaders, endpointsRow},
	resource.Events:                  {eventHeaders, eventRow},
}

// tableHeaders are the column names for a kind under opts.
func tableHeaders(r *resource.Info, opts printOptions) []string {
	h := printers[r].headers(opts.wide)
	if opts.allNamespaces {
		h = append([]string{"NAMESPACE"}, h...)
	}
	return h
}

// tableRows renders objects of kind r as rows (without headers).
func tableRows(r *resource.Info, objs []runtime.Object, now time.Time, opts printOptions) ([][]string, error) {
	p, ok := printers[r]
	if !ok {
		return nil, fmt.Errorf("no table printer for %s", r.Resource)
	}
	rows := make([][]string, 0, len(objs))
	for _, o := range objs {
		row, err := p.row(o, now, opts.wide)
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
func age(t metav1.Time, now time.Time) string {
	if t.IsZero() {
		return "<unknown>"
	}
	return duration.HumanDuration(now.Sub(t.Time))
}

// orNone is the cell for an empty value.
func orNone(s string) string {
	if s == "" {
		return "<none>"
	}
	return s
}

func trueFalse(b bool) string {
	if b {
		return "True"
	}
	return "False"
}
