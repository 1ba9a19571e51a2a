package store

import (
	"reflect"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
)

// names lists namespace/name of each item.
func names(l *corev1.ServiceList) []string {
	out := make([]string, 0, len(l.Items))
	for _, it := range l.Items {
		out = append(out, it.Namespace+"/"+it.Name)
	}
	return out
}

// TestListSortedByKey: namespace then name, in the byte order of
// "namespace/name" (so "a-b" comes before "a").
func TestListSortedByKey(t *testing.T) {
	s := openTestStore(t)
	for _, nn := range []string{"b/web", "a/zeta", "b/api", "a-b/x", "a/alpha", "c/db"} {
		ns, name, _ := strings.Cut(nn, "/")
		mustCreate(t, s, svcs, svc(ns, name, 80))
	}
	all := &corev1.ServiceList{}
	if err := s.List(testCtx(t), svcs, "", ListOptions{}, all); err != nil {
		t.Fatalf("list all: %v", err)
	}
	want := []string{"a-b/x", "a/alpha", "a/zeta", "b/api", "b/web", "c/db"}
	if got := names(all); !reflect.DeepEqual(got, want) {
		t.Fatalf("list all = %v, want %v", got, want)
	}
	if all.ResourceVersion != formatRev(revision(t, s)) || all.Continue != "" || all.Kind != "ServiceList" {
		t.Fatalf("list meta: rv %q continue %q kind %q", all.ResourceVersion, all.Continue, all.Kind)
	}
	if all.Items[0].ResourceVersion == "" || all.Items[0].UID == "" {
		t.Fatalf("listed item lacks resourceVersion/uid: %+v", all.Items[0].ObjectMeta)
	}

	inB := &corev1.ServiceList{Items: []corev1.Service{*svc("stale", "left-over", 1)}}
	if err := s.List(testCtx(t), svcs, "b", ListOptions{}, inB); err != nil {
		t.Fatalf("list b: %v", err)
	}
	if got := names(inB); !reflect.DeepEqual(got, []string{"b/api", "b/web"}) {
		t.Fatalf("list b = %v", got)
	}
}

func TestListPagesReadOneRevision(t *testing.T) {
	s := openTestStore(t)
	for _, name := range []string{"s1", "s2", "s3", "s4", "s5", "s6", "s7"} {
		mustCreate(t, s, svcs, svc("ns", name, 80))
	}
	mustCreate(t, s, svcs, svc("other", "s0", 80))

	var pages [][]string
	var listRV string
	opts := ListOptions{Limit: 3}
	for i := 0; ; i++ {
		page := &corev1.ServiceList{}
		if err := s.List(testCtx(t), svcs, "ns", opts, page); err != nil {
			t.Fatalf("page %d: %v", i, err)
		}
		pages = append(pages, names(page))
		if i == 0 {
			listRV = page.ResourceVersion
			// Changes after the first page must not show in later pages.
			mustCreate(t, s, svcs, svc("ns", "s99", 80))
			if err := s.Delete(testCtx(t), svcs, "ns", "s7", Preconditions{}, nil); err != nil {
				t.Fatalf("delete s7: %v", err)
			}
		}
		if page.ResourceVersion != listRV {
			t.Fatalf("page %d read at %s, first page at %s", i, page.ResourceVersion, listRV)
		}
		if page.Continue == "" {
			break
		}
		if page.RemainingItemCount == nil || *page.RemainingItemCount != int64(7-3*(i+1)) {
			t.Fatalf("page %d remainingItemCount = %v", i, page.RemainingItemCount)
		}
		opts.Continue = page.Continue
	}
	want := [][]string{{"ns/s1", "ns/s2", "ns/s3"}, {"ns/s4", "ns/s5", "ns/s6"}, {"ns/s7"}}
	if !reflect.DeepEqual(pages, want) {
		t.Fatalf("pages = %v, want %v", pages, want)
	}
}

func TestListContinueErrors(t *testing.T) {
	s := openTestStore(t)
	mustCreate(t, s, svcs, svc("ns", "a", 80))
	mustCreate(t, s, svcs, svc("ns", "b", 80))
	first := &corev1.ServiceList{}
	if err := s.List(testCtx(t), svcs, "ns", ListOptions{Limit: 1}, first); err != nil || first.Continue == "" {
		t.Fatalf("first page: %v (continue %q)", err, first.Continue)
	}

	err := s.List(testCtx(t), svcs, "elsewhere", ListOptions{Limit: 1, Continue: first.Continue}, &corev1.ServiceList{})
	if !apierrors.IsBadRequest(err) {
		t.Fatalf("continue token of namespace ns used for another: %v, want BadRequest", err)
	}
	err = s.List(testCtx(t), svcs, "ns", ListOptions{Continue: "not-a-token"}, &corev1.ServiceList{})
	if !apierrors.IsBadRequest(err) {
		t.Fatalf("garbage continue token: %v, want BadRequest", err)
	}

	mustCreate(t, s, svcs, svc("ns", "c", 80))
	compact(t, s)
	err = s.List(testCtx(t), svcs, "ns", ListOptions{Limit: 1, Continue: first.Continue}, &corev1.ServiceList{})
	if !apierrors.IsResourceExpired(err) {
		t.Fatalf("continue from a compacted revision: %v, want 410 Expired", err)
	}
}

func TestParseContinue(t *testing.T) {
	tok := continueToken{RV: 42, Start: "ns/name"}
	got, err := parseContinue(tok.encode())
	if err != nil || got != tok {
		t.Fatalf("round trip = %+v, %v", got, err)
	}
	for _, bad := range []string{"", "!!!", continueToken{Start: "x"}.encode(), continueToken{RV: 3}.encode()} {
		if _, err := parseContinue(bad); err == nil {
			t.Errorf("parseContinue(%q) accepted", bad)
		}
	}
}
