package store

import (
	"context"
	"fmt"
	"testing"

	corev1 "k8s.io/api/core/v1"
)

// Figures include etcd's fsync per write: they measure the disk as much as
// the code.

func BenchmarkCreate(b *testing.B) {
	s := openTestStore(b)
	ctx := context.Background()
	i := 0
	for b.Loop() {
		if err := s.Create(ctx, svcs, svc("bench", fmt.Sprintf("s%d", i), 80)); err != nil {
			b.Fatal(err)
		}
		i++
	}
}

func BenchmarkGet(b *testing.B) {
	s := openTestStore(b)
	mustCreate(b, s, svcs, svc("bench", "web", 80))
	ctx := context.Background()
	into := &corev1.Service{}
	for b.Loop() {
		if err := s.Get(ctx, svcs, "bench", "web", into); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkList1000(b *testing.B) {
	s := openTestStore(b)
	for i := range 1000 {
		mustCreate(b, s, svcs, svc("bench", fmt.Sprintf("s%04d", i), 80))
	}
	ctx := context.Background()
	for b.Loop() {
		list := &corev1.ServiceList{}
		if err := s.List(ctx, svcs, "bench", ListOptions{}, list); err != nil {
			b.Fatal(err)
		}
		if len(list.Items) != 1000 {
			b.Fatalf("listed %d, want 1000", len(list.Items))
		}
	}
}
