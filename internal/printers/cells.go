package printers

import (
	"sort"
	"strings"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/duration"
)

// Age is kubectl's AGE cell: "5s", "3m12s", "<unknown>" for no timestamp.
func Age(t metav1.Time, now time.Time) string {
	if t.IsZero() {
		return "<unknown>"
	}
	return duration.HumanDuration(now.Sub(t.Time))
}

// OrNone is the cell for a value that may be empty.
func OrNone(s string) string {
	if s == "" {
		return "<none>"
	}
	return s
}

// TrueFalse is a boolean cell.
func TrueFalse(b bool) string {
	if b {
		return "True"
	}
	return "False"
}

// LabelString renders a map as "k=v,k2=v2", keys sorted.
func LabelString(m map[string]string) string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = k + "=" + m[k]
	}
	return strings.Join(parts, ",")
}
