package printers

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
)

var eventColumns = []Column{
	{Name: "Last Seen", Type: "string", Description: "Time since the event last happened, and how often it did."},
	{Name: "Type", Type: "string", Description: "Normal or Warning."},
	{Name: "Reason", Type: "string", Description: "Why the event happened, in one word."},
	{Name: "Object", Type: "string", Description: "The object the event is about."},
	{Name: "Message", Type: "string", Description: "What happened."},
	{Name: "Source", Type: "string", Wide: true, Description: "The component that reported the event."},
	{Name: "First Seen", Type: "string", Wide: true, Description: "Time since the event first happened."},
	{Name: "Count", Type: "string", Wide: true, Description: "How often the event happened."},
	{Name: "Name", Type: "string", Format: "name", Wide: true, Description: "The event's name."},
}

func eventCells(obj runtime.Object, now time.Time) ([]string, error) {
	ev, ok := obj.(*corev1.Event)
	if !ok {
		return nil, fmt.Errorf("want an Event, got %T", obj)
	}
	object := strings.ToLower(ev.InvolvedObject.Kind) + "/" + ev.InvolvedObject.Name
	return []string{EventInterval(ev, now), ev.Type, ev.Reason, object, strings.TrimSpace(ev.Message),
		OrNone(EventSource(ev)), Age(EventFirstSeen(ev), now), strconv.Itoa(int(max(ev.Count, 1))), ev.Name}, nil
}

// EventInterval is "5s", or "5s (x3 over 2m)" for a repeated event.
func EventInterval(ev *corev1.Event, now time.Time) string {
	last := Age(EventLastSeen(ev), now)
	if ev.Count > 1 {
		return fmt.Sprintf("%s (x%d over %s)", last, ev.Count, Age(EventFirstSeen(ev), now))
	}
	return last
}

// EventLastSeen: lastTimestamp, else eventTime, else firstTimestamp, else creation.
func EventLastSeen(ev *corev1.Event) metav1.Time {
	switch {
	case !ev.LastTimestamp.IsZero():
		return ev.LastTimestamp
	case !ev.EventTime.IsZero():
		return metav1.NewTime(ev.EventTime.Time)
	case !ev.FirstTimestamp.IsZero():
		return ev.FirstTimestamp
	}
	return ev.CreationTimestamp
}

// EventFirstSeen: firstTimestamp, else eventTime, else the last seen time.
func EventFirstSeen(ev *corev1.Event) metav1.Time {
	switch {
	case !ev.FirstTimestamp.IsZero():
		return ev.FirstTimestamp
	case !ev.EventTime.IsZero():
		return metav1.NewTime(ev.EventTime.Time)
	}
	return EventLastSeen(ev)
}

// EventSource is the reporting component, with its host when known.
func EventSource(ev *corev1.Event) string {
	src := ev.Source.Component
	if src == "" {
		src = ev.ReportingController
	}
	if ev.Source.Host != "" {
		src += ", " + ev.Source.Host
	}
	return src
}

// SortEventsByLastSeen orders events oldest first, as `kubectl events` does.
func SortEventsByLastSeen(evs []runtime.Object) {
	sort.SliceStable(evs, func(i, j int) bool {
		a, _ := evs[i].(*corev1.Event)
		b, _ := evs[j].(*corev1.Event)
		if a == nil || b == nil {
			return false
		}
		return EventLastSeen(a).Time.Before(EventLastSeen(b).Time)
	})
}
