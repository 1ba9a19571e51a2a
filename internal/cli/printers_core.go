package cli

import (
	"fmt"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"

	"vigil.dev/vigil/internal/printers"
	"vigil.dev/vigil/internal/resource"
)

func serviceRow(obj runtime.Object, now time.Time, wide bool) ([]string, error) {
	return kindRow(resource.Services, obj, now, wide)
}

func endpointsRow(obj runtime.Object, now time.Time, wide bool) ([]string, error) {
	return kindRow(resource.Endpoints, obj, now, wide)
}

func eventRow(obj runtime.Object, now time.Time, wide bool) ([]string, error) {
	return kindRow(resource.Events, obj, now, wide)
}

func eventInterval(ev *corev1.Event, now time.Time) string { return printers.EventInterval(ev, now) }

func eventLastSeen(ev *corev1.Event) metav1.Time { return printers.EventLastSeen(ev) }

func eventSource(ev *corev1.Event) string { return printers.EventSource(ev) }

func sortEventsByLastSeen(evs []runtime.Object) { printers.SortEventsByLastSeen(evs) }

func labelString(m map[string]string) string { return printers.LabelString(m) }

func errNoPrinter(r *resource.Info) error { return fmt.Errorf("no table printer for %s", r.Resource) }
