package apiserver

import (
	"fmt"
	"net/http"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime"

	v1 "vigil.dev/vigil/api/v1"
	"vigil.dev/vigil/internal/resource"
)

// selector is the labelSelector and fieldSelector of a list or watch.
type selector struct {
	labels labels.Selector
	fields fields.Selector
}

// empty reports whether the selector matches everything.
func (sel selector) empty() bool { return sel.labels.Empty() && sel.fields.Empty() }

// matches reports whether obj is selected. An object without metadata
// never is.
func (sel selector) matches(res *resource.Info, obj runtime.Object) bool {
	if sel.empty() {
		return true
	}
	m, err := meta.Accessor(obj)
	if err != nil {
		return false
	}
	return sel.labels.Matches(labels.Set(m.GetLabels())) && sel.fields.Matches(fieldSet(obj))
}

// parseSelector reads the selectors of a request. A field the kind does not
// index is a 400, as in Kubernetes ("field label not supported").
func parseSelector(r *http.Request, req request) (selector, error) {
	q := r.URL.Query()
	ls, err := labels.Parse(q.Get("labelSelector"))
	if err != nil {
		return selector{}, apierrors.NewBadRequest(fmt.Sprintf("unable to parse labelSelector: %v", err))
	}
	fs, err := fields.ParseSelector(q.Get("fieldSelector"))
	if err != nil {
		return selector{}, apierrors.NewBadRequest(fmt.Sprintf("unable to parse fieldSelector: %v", err))
	}
	supported := supportedFields(req.res)
	for _, rq := range fs.Requirements() {
		if !supported[rq.Field] {
			return selector{}, apierrors.NewBadRequest(fmt.Sprintf("field label not supported: %s", rq.Field))
		}
	}
	if req.name != "" {
		// A watch on an object path is a watch of that one name.
		fs = fields.AndSelectors(fs, fields.OneTermEqualSelector("metadata.name", req.name))
	}
	return selector{labels: ls, fields: fs}, nil
}

// supportedFields are the field selector keys of a kind: metadata.name and
// metadata.namespace for all, plus Kubernetes' own for events, plus the
// phase and node of VMIs (a vigil extension; KubeVirt's custom resources
// offer only the metadata pair).
func supportedFields(res *resource.Info) map[string]bool {
	set := map[string]bool{"metadata.name": true, "metadata.namespace": true}
	for k := range fieldSet(res.New()) {
		set[k] = true
	}
	return set
}

// fieldSet is the selectable fields of an object.
func fieldSet(obj runtime.Object) fields.Set {
	m, err := meta.Accessor(obj)
	if err != nil {
		return fields.Set{}
	}
	set := fields.Set{"metadata.name": m.GetName(), "metadata.namespace": m.GetNamespace()}
	switch o := obj.(type) {
	case *corev1.Event:
		set["involvedObject.kind"] = o.InvolvedObject.Kind
		set["involvedObject.namespace"] = o.InvolvedObject.Namespace
		set["involvedObject.name"] = o.InvolvedObject.Name
		set["involvedObject.uid"] = string(o.InvolvedObject.UID)
		set["involvedObject.apiVersion"] = o.InvolvedObject.APIVersion
		set["involvedObject.resourceVersion"] = o.InvolvedObject.ResourceVersion
		set["involvedObject.fieldPath"] = o.InvolvedObject.FieldPath
		set["reason"] = o.Reason
		set["reportingComponent"] = o.ReportingController
		set["source"] = o.Source.Component
		set["type"] = o.Type
	case *v1.VirtualMachineInstance:
		set["status.phase"] = string(o.Status.Phase)
		set["status.nodeName"] = o.Status.NodeName
	}
	return set
}
