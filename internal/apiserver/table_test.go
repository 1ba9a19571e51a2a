package apiserver

import (
	"bufio"
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"vigil.dev/vigil/internal/resource"
)

const acceptTable = "application/json;as=Table;v=v1;g=meta.k8s.io,application/json;as=Table;v=v1beta1;g=meta.k8s.io,application/json"

// testClock is a settable Config.Now.
type testClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *testClock) now() time.Time  { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *testClock) set(t time.Time) { c.mu.Lock(); defer c.mu.Unlock(); c.t = t }

// newClockEnv is a server whose clock the test sets.
func newClockEnv(t *testing.T) (*env, *testClock) {
	clock := &testClock{t: time.Now().UTC().Truncate(time.Second)}
	return newEnv(t, func(c *Config) { c.Now = clock.now }), clock
}

func tableOf(t *testing.T, r reply) metav1.Table {
	t.Helper()
	if ct := r.header.Get("Content-Type"); ct != "application/json;as=Table;v=v1;g=meta.k8s.io" {
		t.Fatalf("content type %q: %s", ct, r.body)
	}
	var table metav1.Table
	r.into(t, &table)
	if table.Kind != "Table" || table.APIVersion != "meta.k8s.io/v1" {
		t.Fatalf("not a Table: %s", r.body)
	}
	return table
}

func columnNames(table metav1.Table) string {
	names := make([]string, len(table.ColumnDefinitions))
	for i, c := range table.ColumnDefinitions {
		names[i] = c.Name
		if c.Priority > 0 {
			names[i] += "*"
		}
	}
	return strings.Join(names, ",")
}

func cells(row metav1.TableRow) string {
	out := make([]string, len(row.Cells))
	for i, c := range row.Cells {
		out[i], _ = c.(string)
	}
	return strings.Join(out, "|")
}

func TestListAsTableRendersCellsWithTheServersClock(t *testing.T) {
	e, clock := newClockEnv(t)
	created := clock.now()
	e.do("POST", e.vmPath(), "application/json", vmJSON("a", "Halted")).must(t, 201)
	clock.set(created.Add(90 * time.Second))
	table := tableOf(t, e.doAccept(e.vmPath(), acceptTable).must(t, 200))
	if got := columnNames(table); got != "Name,Age,Status,Ready,RunStrategy*" {
		t.Errorf("columns %s", got)
	}
	if table.ColumnDefinitions[0].Format != "name" {
		t.Errorf("first column %+v", table.ColumnDefinitions[0])
	}
	if len(table.Rows) != 1 || cells(table.Rows[0]) != "a|90s|<none>|False|Halted" {
		t.Fatalf("rows %+v", table.Rows)
	}
	if table.ResourceVersion == "" {
		t.Error("the table has no resourceVersion to watch from")
	}
	var pom metav1.PartialObjectMetadata
	if err := json.Unmarshal(table.Rows[0].Object.Raw, &pom); err != nil {
		t.Fatal(err)
	}
	if pom.Kind != "PartialObjectMetadata" || pom.Namespace != e.ns || pom.Labels["app"] != "a" {
		t.Errorf("row object %s", table.Rows[0].Object.Raw)
	}
}

func TestTableIncludeObject(t *testing.T) {
	e := newEnv(t)
	e.do("POST", e.vmPath(), "application/json", vmJSON("a", "Halted")).must(t, 201)
	full := tableOf(t, e.doAccept(e.vmPath("a")+"?includeObject=Object", acceptTable).must(t, 200))
	var obj struct {
		Kind string         `json:"kind"`
		Spec map[string]any `json:"spec"`
	}
	if err := json.Unmarshal(full.Rows[0].Object.Raw, &obj); err != nil || obj.Kind != "VirtualMachine" || obj.Spec["runStrategy"] != "Halted" {
		t.Errorf("full object %s (%v)", full.Rows[0].Object.Raw, err)
	}
	none := tableOf(t, e.doAccept(e.vmPath("a")+"?includeObject=None", acceptTable).must(t, 200))
	if len(none.Rows[0].Object.Raw) != 0 {
		t.Errorf("includeObject=None sent %s", none.Rows[0].Object.Raw)
	}
	e.doAccept(e.vmPath("a")+"?includeObject=Everything", acceptTable).must(t, 400)
	// A client that prefers plain JSON gets the object.
	var vm struct {
		Kind string `json:"kind"`
	}
	e.doAccept(e.vmPath("a"), "application/json,"+acceptTable).must(t, 200).into(t, &vm)
	if vm.Kind != "VirtualMachine" {
		t.Errorf("plain JSON: kind %q", vm.Kind)
	}
}

func TestEveryKindPrintsAsTable(t *testing.T) {
	e := newEnv(t)
	e.do("POST", e.corePath("services"), "application/json", map[string]any{
		"metadata": map[string]any{"name": "web"},
		"spec":     map[string]any{"ports": []any{map[string]any{"port": 80}}},
	}).must(t, 201)
	e.do("POST", e.corePath("events"), "application/json", map[string]any{
		"metadata":       map[string]any{"name": "a.1"},
		"involvedObject": map[string]any{"kind": "VirtualMachine", "name": "a", "namespace": e.ns},
		"type":           "Normal", "reason": "Started", "message": "started",
	}).must(t, 201)
	cases := []struct{ path, columns, row string }{
		{e.corePath("services"), "Name,Type,Cluster-IP,External-IP,Port(s),Age,Selector*", "web|ClusterIP|"},
		{e.corePath("events"), "Last Seen,Type,Reason,Object,Message,Source*,First Seen*,Count*,Name*", "|Normal|Started|virtualmachine/a|started|"},
		{e.corePath("endpoints"), "Name,Endpoints,Age", ""},
		{e.vmiPath(), "Name,Age,Phase,IP,NodeName,Ready,Reason*,Watchdog*,UID*", ""},
	}
	for _, tc := range cases {
		table := tableOf(t, e.doAccept(tc.path, acceptTable).must(t, 200))
		if got := columnNames(table); got != tc.columns {
			t.Errorf("%s: columns %s, want %s", tc.path, got, tc.columns)
		}
		if tc.row == "" {
			if len(table.Rows) != 0 {
				t.Errorf("%s: rows %+v", tc.path, table.Rows)
			}
			continue
		}
		if len(table.Rows) != 1 || !strings.Contains(cells(table.Rows[0]), tc.row) {
			t.Errorf("%s: rows %+v, want one with %q", tc.path, table.Rows, tc.row)
		}
	}
	// All namespaces, as kubectl get -A asks.
	table := tableOf(t, e.doAccept("/api/v1/services", acceptTable).must(t, 200))
	found := false
	for _, row := range table.Rows {
		var pom metav1.PartialObjectMetadata
		_ = json.Unmarshal(row.Object.Raw, &pom)
		found = found || pom.Namespace == e.ns && pom.Name == "web"
	}
	if !found {
		t.Error("-A: the service's row does not carry its namespace")
	}
}

// watchAccept opens a watch with an Accept header and returns its decoded
// events as they come.
func (e *env) watchAccept(path, accept string) (<-chan streamEvent, string) {
	e.t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	e.t.Cleanup(cancel)
	req, err := http.NewRequestWithContext(ctx, "GET", e.http.URL+path, nil)
	if err != nil {
		e.t.Fatal(err)
	}
	req.Header.Set("Accept", accept)
	resp, err := e.http.Client().Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	events := make(chan streamEvent, 100)
	go func() {
		defer close(events)
		defer resp.Body.Close()
		sc := bufio.NewScanner(resp.Body)
		for sc.Scan() {
			var ev streamEvent
			if json.Unmarshal(sc.Bytes(), &ev) == nil {
				events <- ev
			}
		}
	}()
	return events, resp.Header.Get("Content-Type")
}

func nextTable(t *testing.T, events <-chan streamEvent) (string, metav1.Table) {
	t.Helper()
	select {
	case ev, ok := <-events:
		if !ok {
			t.Fatal("the watch ended")
		}
		var table metav1.Table
		if err := json.Unmarshal(ev.Object, &table); err != nil || table.Kind != "Table" {
			t.Fatalf("event object %s (%v)", ev.Object, err)
		}
		return ev.Type, table
	case <-time.After(watchDeadline):
		t.Fatal("no watch event in time")
	}
	return "", metav1.Table{}
}

func TestWatchAsTableSendsColumnsOnce(t *testing.T) {
	e := newEnv(t)
	e.do("POST", e.vmPath(), "application/json", vmJSON("a", "Halted")).must(t, 201)
	events, ct := e.watchAccept(e.vmPath()+"?watch=true", acceptTable)
	if ct != "application/json;as=Table;v=v1;g=meta.k8s.io" {
		t.Fatalf("content type %q", ct)
	}
	typ, first := nextTable(t, events)
	if typ != "ADDED" || len(first.ColumnDefinitions) == 0 || len(first.Rows) != 1 || first.ResourceVersion == "" {
		t.Fatalf("first event %s %+v", typ, first)
	}
	e.do("PATCH", e.vmPath("a")+"/status", mergePatch, `{"status":{"printableStatus":"Running","ready":true}}`).must(t, 200)
	typ, second := nextTable(t, events)
	if typ != "MODIFIED" || len(second.ColumnDefinitions) != 0 || !strings.Contains(cells(second.Rows[0]), "|Running|True|") {
		t.Fatalf("second event %s %+v", typ, second)
	}
}

func TestTableWatchBookmarksAndErrors(t *testing.T) {
	e := newEnv(t)
	req := request{res: resourceFor(t, "virtualmachines")}
	tw := &tableWatch{s: e.srv, req: req, opts: tableOptions{version: "v1", includeObject: metav1.IncludeMetadata}}
	bookmark := req.res.New()
	bookmark.(metav1.ObjectMetaAccessor).GetObjectMeta().SetResourceVersion("42")
	out, err := tw.transform("BOOKMARK", bookmark)
	if table, ok := out.(*metav1.Table); err != nil || !ok || table.ResourceVersion != "42" || len(table.Rows) != 0 {
		t.Errorf("bookmark became %#v (%v)", out, err)
	}
	if tw.sentColumns {
		t.Error("a bookmark used up the column definitions")
	}
	st := &metav1.Status{Code: 410}
	if out, err := tw.transform("ERROR", st); err != nil || out != st {
		t.Errorf("an error event's Status was changed: %#v", out)
	}
}

func resourceFor(t *testing.T, plural string) *resource.Info {
	t.Helper()
	for _, r := range resource.All {
		if r.Resource == plural {
			return r
		}
	}
	t.Fatalf("no resource %s", plural)
	return nil
}
