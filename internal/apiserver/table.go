package apiserver

import (
	"encoding/json"
	"fmt"
	"net/http"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"

	"vigil.dev/vigil/internal/printers"
	"vigil.dev/vigil/internal/resource"
)

// Server-side printing: a client that asks for
// "application/json;as=Table;v=v1;g=meta.k8s.io" (kubectl get does) gets a
// metav1.Table whose cells the server rendered with internal/printers, so
// kubectl shows the same columns as `vigil get`.
const (
	tableGroup = "meta.k8s.io"
	tableKind  = "Table"
)

// tableOptions is what a client asked of a Table reply.
type tableOptions struct {
	version       string // "v1" or "v1beta1": the Table's apiVersion
	includeObject metav1.IncludeObjectPolicy
}

// tableContentType is the Content-Type of a Table reply.
func (o tableOptions) contentType() string {
	return "application/json;as=" + tableKind + ";v=" + o.version + ";g=" + tableGroup
}

// wantsTable reports whether the Accept header asks for a Table before it
// accepts plain JSON, and reads includeObject (None, Metadata, the
// default, or Object).
func wantsTable(r *http.Request) (tableOptions, bool, error) {
	for _, m := range acceptList(r) {
		for _, v := range []string{"v1", "v1beta1"} {
			if m.is(tableKind, tableGroup, v) {
				opts := tableOptions{version: v, includeObject: metav1.IncludeMetadata}
				switch p := metav1.IncludeObjectPolicy(r.URL.Query().Get("includeObject")); p {
				case "":
				case metav1.IncludeNone, metav1.IncludeMetadata, metav1.IncludeObject:
					opts.includeObject = p
				default:
					return opts, false, apierrors.NewBadRequest(fmt.Sprintf(
						"includeObject: unsupported value %q (supported: None, Metadata, Object)", p))
				}
				return opts, true, nil
			}
		}
		if m.acceptsJSON() {
			return tableOptions{}, false, nil
		}
	}
	return tableOptions{}, false, nil
}

// buildTable renders objects of res as a Table. Column definitions are
// left out when withColumns is false (every watch event after the first).
func buildTable(res *resource.Info, objs []runtime.Object, now time.Time, opts tableOptions, withColumns bool) (*metav1.Table, error) {
	p, ok := printers.For(res)
	if !ok {
		return nil, fmt.Errorf("no table printer for %s", res.Resource)
	}
	t := &metav1.Table{
		TypeMeta: metav1.TypeMeta{Kind: tableKind, APIVersion: tableGroup + "/" + opts.version},
		Rows:     []metav1.TableRow{},
	}
	if withColumns {
		t.ColumnDefinitions = columnDefinitions(p)
	}
	for _, obj := range objs {
		row, err := tableRow(res, p, obj, now, opts)
		if err != nil {
			return nil, err
		}
		t.Rows = append(t.Rows, row)
	}
	return t, nil
}

func columnDefinitions(p printers.Printer) []metav1.TableColumnDefinition {
	defs := make([]metav1.TableColumnDefinition, len(p.Columns))
	for i, c := range p.Columns {
		defs[i] = metav1.TableColumnDefinition{Name: c.Name, Type: c.Type, Format: c.Format, Description: c.Description}
		if c.Wide {
			defs[i].Priority = 1
		}
	}
	return defs
}

// tableRow is one object's cells and, as asked, its metadata (kubectl
// fills NAMESPACE under -A and LABELS under --show-labels from it) or the
// whole object.
func tableRow(res *resource.Info, p printers.Printer, obj runtime.Object, now time.Time, opts tableOptions) (metav1.TableRow, error) {
	cells, err := p.Cells(obj, now)
	if err != nil {
		return metav1.TableRow{}, err
	}
	row := metav1.TableRow{Cells: make([]any, len(cells))}
	for i, c := range cells {
		row.Cells[i] = c
	}
	var embedded any
	switch opts.includeObject {
	case metav1.IncludeNone:
		return row, nil
	case metav1.IncludeObject:
		setTypeMeta(res, obj)
		embedded = obj
	default:
		om, err := objectMetaOf(obj)
		if err != nil {
			return metav1.TableRow{}, err
		}
		om.ManagedFields = nil
		embedded = &metav1.PartialObjectMetadata{
			TypeMeta:   metav1.TypeMeta{Kind: "PartialObjectMetadata", APIVersion: tableGroup + "/v1"},
			ObjectMeta: om,
		}
	}
	raw, err := json.Marshal(embedded)
	if err != nil {
		return metav1.TableRow{}, fmt.Errorf("encoding a table row's object: %w", err)
	}
	row.Object = runtime.RawExtension{Raw: raw}
	return row, nil
}

// objectMetaOf copies a typed object's metadata.
func objectMetaOf(obj runtime.Object) (metav1.ObjectMeta, error) {
	if ma, ok := obj.(metav1.ObjectMetaAccessor); ok {
		if om, ok := ma.GetObjectMeta().(*metav1.ObjectMeta); ok {
			return *om, nil
		}
	}
	return metav1.ObjectMeta{}, fmt.Errorf("%T has no ObjectMeta", obj)
}

// writeTable answers a get or list with a Table; list is the listed
// collection (its resourceVersion and continue token carry over) or nil
// for a single object.
func (s *Server) writeTable(w http.ResponseWriter, r *http.Request, res *resource.Info, opts tableOptions, objs []runtime.Object, list runtime.Object) {
	t, err := buildTable(res, objs, s.now(), opts, true)
	if err != nil {
		s.writeError(w, r, apierrors.NewInternalError(err))
		return
	}
	if list != nil {
		if lm, err := meta.ListAccessor(list); err == nil {
			t.ResourceVersion, t.Continue, t.RemainingItemCount = lm.GetResourceVersion(), lm.GetContinue(), lm.GetRemainingItemCount()
		}
	}
	body, err := json.Marshal(t)
	if err != nil {
		s.writeError(w, r, apierrors.NewInternalError(fmt.Errorf("encoding a table: %w", err)))
		return
	}
	w.Header().Set("Content-Type", opts.contentType())
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(append(body, '\n'))
}

// respondTable answers with a Table when the client asked for one, and
// reports whether it did (a bad includeObject is answered with a 400).
// obj is the object of a get; list the collection of a list.
func (s *Server) respondTable(w http.ResponseWriter, r *http.Request, res *resource.Info, obj, list runtime.Object) bool {
	opts, ok, err := wantsTable(r)
	if err != nil {
		s.writeError(w, r, err)
		return true
	}
	if !ok {
		return false
	}
	objs := []runtime.Object{obj}
	if list != nil {
		if objs, err = meta.ExtractList(list); err != nil {
			s.writeError(w, r, apierrors.NewInternalError(err))
			return true
		}
	}
	s.writeTable(w, r, res, opts, objs, list)
	return true
}
