package apiserver

import (
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/watch"
)

// tableWatch turns each event of a watch that asked for Tables into a
// Table of one row. Only the first carries the column definitions, as in
// Kubernetes; a bookmark becomes an empty Table with the resourceVersion;
// an ERROR event's Status passes unchanged.
type tableWatch struct {
	s           *Server
	req         request
	opts        tableOptions
	sentColumns bool
}

func (tw *tableWatch) transform(t watch.EventType, obj runtime.Object) (runtime.Object, error) {
	if _, isStatus := obj.(*metav1.Status); isStatus {
		return obj, nil
	}
	if t == watch.Bookmark {
		table := &metav1.Table{TypeMeta: metav1.TypeMeta{Kind: tableKind, APIVersion: tableGroup + "/" + tw.opts.version}}
		if m, err := meta.Accessor(obj); err == nil {
			table.ResourceVersion = m.GetResourceVersion()
		}
		return table, nil
	}
	table, err := buildTable(tw.req.res, []runtime.Object{obj}, tw.s.now(), tw.opts, !tw.sentColumns)
	if err != nil {
		return nil, err
	}
	tw.sentColumns = true
	if m, err := meta.Accessor(obj); err == nil {
		table.ResourceVersion = m.GetResourceVersion()
	}
	return table, nil
}
