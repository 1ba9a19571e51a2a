package endpoints

import (
	"maps"
	"sync"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/labels"

	v1 "vigil.dev/vigil/api/v1"
)

// VMIIndex remembers each VMI's labels as of its last change, to tell
// which Services a VMI change concerns: those whose selector matches its
// labels now, or matched them before. A Service's own changes are its own
// event, so between them its selector is the one its last Derive used,
// and a Service that listed the VMI always selects one of the labels
// recorded here. Without it every VMI change would recompute every Service
// of the namespace. Safe for concurrent use.
type VMIIndex struct {
	mu     sync.Mutex
	labels map[string]labels.Set // by VMI "namespace/name"
}

// Changed records a VMI change (gone: it was deleted) and returns the keys
// of the Services, among svcs (those of the VMI's namespace), that it
// concerns.
func (x *VMIIndex) Changed(vmi *v1.VirtualMachineInstance, gone bool, svcs []*corev1.Service) []string {
	key := vmi.Namespace + "/" + vmi.Name
	now := labels.Set(maps.Clone(vmi.Labels))
	x.mu.Lock()
	if x.labels == nil {
		x.labels = map[string]labels.Set{}
	}
	before, known := x.labels[key]
	if gone {
		delete(x.labels, key)
	} else {
		x.labels[key] = now
	}
	x.mu.Unlock()
	var out []string
	for _, s := range svcs {
		if len(s.Spec.Selector) == 0 || s.Namespace != vmi.Namespace {
			continue
		}
		sel := labels.SelectorFromSet(s.Spec.Selector)
		if sel.Matches(now) || (known && sel.Matches(before)) {
			out = append(out, s.Namespace+"/"+s.Name)
		}
	}
	return out
}
