package printers

import (
	"fmt"
	"strings"
	"time"

	"k8s.io/apimachinery/pkg/runtime"

	"vigil.dev/vigil/internal/resource"
)

// Column is one table column.
type Column struct {
	// Name is the column's name as a Kubernetes Table reports it
	// ("Cluster-IP"); kubectl and vigil print it upper-case.
	Name string
	// Type is the OpenAPI type of the cells: "string" or "integer".
	Type string
	// Format is "name" for the column that names the object, else "".
	Format      string
	Description string
	// Wide columns are printed only with -o wide (priority 1).
	Wide bool
}

// Header is the column's heading as printed: its name upper-cased.
func (c Column) Header() string { return strings.ToUpper(c.Name) }

// Printer prints one kind.
type Printer struct {
	Columns []Column
	// cells renders every column, wide ones included, in Columns' order.
	cells func(obj runtime.Object, now time.Time) ([]string, error)
}

// For returns the printer of a served kind.
func For(r *resource.Info) (Printer, bool) {
	p, ok := printers[r]
	return p, ok
}

var printers = map[*resource.Info]Printer{
	resource.VirtualMachines:         {vmColumns, vmCells},
	resource.VirtualMachineInstances: {vmiColumns, vmiCells},
	resource.Services:                {serviceColumns, serviceCells},
	resource.Endpoints:               {endpointsColumns, endpointsCells},
	resource.Events:                  {eventColumns, eventCells},
}

// Headers are the printed column headings, wide ones only when wide.
func (p Printer) Headers(wide bool) []string {
	h := make([]string, 0, len(p.Columns))
	for _, c := range p.Columns {
		if wide || !c.Wide {
			h = append(h, c.Header())
		}
	}
	return h
}

// Cells renders all of obj's cells, wide ones included, in Columns' order.
func (p Printer) Cells(obj runtime.Object, now time.Time) ([]string, error) {
	cells, err := p.cells(obj, now)
	if err != nil {
		return nil, err
	}
	if len(cells) != len(p.Columns) {
		return nil, fmt.Errorf("printers: %d cells for %d columns", len(cells), len(p.Columns))
	}
	return cells, nil
}

// Row renders obj's cells, wide ones only when wide.
func (p Printer) Row(obj runtime.Object, now time.Time, wide bool) ([]string, error) {
	cells, err := p.Cells(obj, now)
	if err != nil || wide {
		return cells, err
	}
	row := make([]string, 0, len(cells))
	for i, c := range p.Columns {
		if !c.Wide {
			row = append(row, cells[i])
		}
	}
	return row, nil
}

// nameColumn is the first column of every kind but events.
var nameColumn = Column{Name: "Name", Type: "string", Format: "name",
	Description: "Name must be unique within a namespace."}

// ageColumn is the time since creation, as kubectl's HumanDuration.
var ageColumn = Column{Name: "Age", Type: "string",
	Description: "The time since the object was created."}
