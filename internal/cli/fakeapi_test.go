package cli

import (
	"encoding/json"
	"io"
	"net"
	"net/http"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	jsonpatch "gopkg.in/evanphx/json-patch.v4"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"vigil.dev/vigil/internal/resource"
)

// fakeAPI is a small in-memory server speaking the vigil API, enough to
// test the commands: objects are kept as the raw JSON bytes the server
// would send, lists and watches honour namespace, metadata.name and
// involvedObject field selectors and label selectors.
type fakeAPI struct {
	t      *testing.T
	server string // unix://...

	mu       sync.Mutex
	objects  map[objKey][]byte
	rv       int
	reqs     []fakeReq
	watchers []*fakeWatcher
	// watchStarted receives one value per watch request that is set up.
	watchStarted chan struct{}
	// reject, when set, may answer a request instead of the store.
	reject func(method, path string, body []byte) (code int, answer any, ok bool)
	// warnings are sent as Warning headers with every answer.
	warnings []string
	created  time.Time
}

type objKey struct{ prefix, ns, resource, name string }

type fakeReq struct {
	Method, Path, Query, ContentType string
	Body                             []byte
}

type fakeWatcher struct {
	key    objKey // name unused; ns "" = all
	fields string
	events chan []byte
}

func newFakeAPI(t *testing.T) *fakeAPI {
	t.Helper()
	f := &fakeAPI{t: t, objects: map[objKey][]byte{}, watchStarted: make(chan struct{}, 16),
		created: fixedNow.Add(-5 * time.Minute)}
	sock := filepath.Join(t.TempDir(), "vigil.sock")
	l, err := net.Listen("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: f}
	go srv.Serve(l)
	t.Cleanup(func() { srv.Close() })
	f.server = "unix://" + sock
	return f
}

// parsePath splits /api/v1/namespaces/NS/RES/NAME/SUB and /apis/G/V/... .
func parsePath(p string) (objKey, string, bool) {
	parts := strings.Split(strings.Trim(p, "/"), "/")
	var k objKey
	switch {
	case len(parts) >= 3 && parts[0] == "api":
		k.prefix, parts = "/api/"+parts[1], parts[2:]
	case len(parts) >= 4 && parts[0] == "apis":
		k.prefix, parts = "/apis/"+parts[1]+"/"+parts[2], parts[3:]
	default:
		return k, "", false
	}
	if len(parts) >= 2 && parts[0] == "namespaces" {
		k.ns, parts = parts[1], parts[2:]
	}
	if len(parts) == 0 {
		return k, "", false
	}
	k.resource = parts[0]
	if len(parts) > 1 {
		k.name = parts[1]
	}
	sub := ""
	if len(parts) > 2 {
		sub = parts[2]
	}
	return k, sub, true
}

func (f *fakeAPI) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	f.mu.Lock()
	f.reqs = append(f.reqs, fakeReq{r.Method, r.URL.Path, r.URL.RawQuery, r.Header.Get("Content-Type"), body})
	reject, warnings := f.reject, f.warnings
	f.mu.Unlock()
	for _, msg := range warnings {
		w.Header().Add("Warning", `299 - "`+msg+`"`)
	}
	if reject != nil {
		if code, answer, ok := reject(r.Method, r.URL.Path, body); ok {
			writeAnswer(w, code, answer)
			return
		}
	}
	if r.URL.Path == "/version" {
		writeAnswer(w, 200, map[string]string{"major": "1", "minor": "33", "gitVersion": "v0.9.0-fake"})
		return
	}
	k, sub, ok := parsePath(r.URL.Path)
	if !ok {
		writeAnswer(w, 404, apierrors.NewNotFound(resourceGR(k), r.URL.Path).ErrStatus)
		return
	}
	if strings.HasPrefix(k.prefix, "/apis/subresources.kubevirt.io") {
		writeAnswer(w, 202, map[string]string{})
		return
	}
	switch {
	case r.Method == "GET" && k.name == "" && r.URL.Query().Get("watch") == "true":
		f.serveWatch(w, r, k)
	case r.Method == "GET" && k.name == "":
		f.serveList(w, r, k)
	case r.Method == "GET":
		f.serveGet(w, k)
	case r.Method == "POST":
		f.serveCreate(w, k, body)
	case r.Method == "PATCH":
		f.servePatch(w, k, body)
	case r.Method == "DELETE":
		f.serveDelete(w, k)
	default:
		writeAnswer(w, 405, apierrors.NewMethodNotSupported(resourceGR(k), r.Method+" "+sub).ErrStatus)
	}
}

func resourceGR(k objKey) (gr schema.GroupResource) {
	gr.Resource = k.resource
	if g := strings.TrimPrefix(k.prefix, "/apis/"); g != k.prefix {
		gr.Group = strings.Split(g, "/")[0]
	}
	return gr
}

func writeAnswer(w http.ResponseWriter, code int, answer any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	if raw, ok := answer.([]byte); ok {
		w.Write(raw)
		return
	}
	if st, ok := answer.(metav1.Status); ok {
		st.Kind, st.APIVersion = "Status", "v1"
		answer = st
	}
	json.NewEncoder(w).Encode(answer)
}

func (f *fakeAPI) serveGet(w http.ResponseWriter, k objKey) {
	f.mu.Lock()
	raw, ok := f.objects[k]
	f.mu.Unlock()
	if !ok {
		writeAnswer(w, 404, apierrors.NewNotFound(resourceGR(k), k.name).ErrStatus)
		return
	}
	writeAnswer(w, 200, raw)
}

func (f *fakeAPI) serveList(w http.ResponseWriter, r *http.Request, k objKey) {
	info, _ := resource.Lookup(k.resource)
	q := r.URL.Query()
	sel, err := labels.Parse(q.Get("labelSelector"))
	if err != nil {
		writeAnswer(w, 400, apierrors.NewBadRequest(err.Error()).ErrStatus)
		return
	}
	f.mu.Lock()
	var keys []objKey
	for ok := range f.objects {
		if ok.prefix == k.prefix && ok.resource == k.resource && (k.ns == "" || ok.ns == k.ns) {
			keys = append(keys, ok)
		}
	}
	sort.Slice(keys, func(i, j int) bool { return keys[i].ns+"/"+keys[i].name < keys[j].ns+"/"+keys[j].name })
	items := []json.RawMessage{}
	for _, ok := range keys {
		raw := f.objects[ok]
		if matches(raw, q.Get("fieldSelector"), sel) {
			items = append(items, raw)
		}
	}
	rv := strconv.Itoa(f.rv)
	f.mu.Unlock()
	writeAnswer(w, 200, map[string]any{"apiVersion": strings.TrimPrefix(strings.TrimPrefix(k.prefix, "/apis/"), "/api/"),
		"kind": info.ListKind, "metadata": map[string]string{"resourceVersion": rv}, "items": items})
}

// matches applies a field selector of k=v pairs (any dotted path) and a label selector.
func matches(raw []byte, fields string, sel labels.Selector) bool {
	var m map[string]any
	if json.Unmarshal(raw, &m) != nil {
		return false
	}
	lbls, _, _ := unstructured.NestedStringMap(m, "metadata", "labels")
	if !sel.Matches(labels.Set(lbls)) {
		return false
	}
	if fields == "" {
		return true
	}
	for _, pair := range strings.Split(fields, ",") {
		path, want, _ := strings.Cut(pair, "=")
		got, _, _ := unstructured.NestedString(m, strings.Split(path, ".")...)
		if got != want {
			return false
		}
	}
	return true
}

func (f *fakeAPI) serveWatch(w http.ResponseWriter, r *http.Request, k objKey) {
	fw := &fakeWatcher{key: k, fields: r.URL.Query().Get("fieldSelector"), events: make(chan []byte, 16)}
	f.mu.Lock()
	f.watchers = append(f.watchers, fw)
	f.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(200)
	w.(http.Flusher).Flush()
	f.watchStarted <- struct{}{}
	for {
		select {
		case <-r.Context().Done():
			return
		case line, ok := <-fw.events:
			if !ok {
				return
			}
			w.Write(line)
			w.(http.Flusher).Flush()
		}
	}
}

// notify sends an event to the watchers whose collection and selector match.
// Called with f.mu held.
func (f *fakeAPI) notify(typ string, k objKey, raw []byte) {
	line, _ := json.Marshal(map[string]any{"type": typ, "object": json.RawMessage(raw)})
	line = append(line, '\n')
	for _, fw := range f.watchers {
		if fw.key.prefix == k.prefix && fw.key.resource == k.resource && (fw.key.ns == "" || fw.key.ns == k.ns) &&
			matches(raw, fw.fields, labels.Everything()) {
			fw.events <- line
		}
	}
}

func (f *fakeAPI) serveCreate(w http.ResponseWriter, k objKey, body []byte) {
	var obj map[string]any
	if err := json.Unmarshal(body, &obj); err != nil {
		writeAnswer(w, 400, apierrors.NewBadRequest(err.Error()).ErrStatus)
		return
	}
	md, _ := obj["metadata"].(map[string]any)
	name, _ := md["name"].(string)
	info, _ := resource.Lookup(k.resource)
	f.mu.Lock()
	_, exists := f.objects[objKey{k.prefix, k.ns, k.resource, name}]
	f.mu.Unlock()
	if exists {
		writeAnswer(w, 409, apierrors.NewAlreadyExists(resourceGR(k), name).ErrStatus)
		return
	}
	md["namespace"], md["uid"] = k.ns, "uid-"+name
	f.put(info, obj)
	f.serveGetCode(w, objKey{k.prefix, k.ns, k.resource, name}, 201)
}

func (f *fakeAPI) serveGetCode(w http.ResponseWriter, k objKey, code int) {
	f.mu.Lock()
	raw := f.objects[k]
	f.mu.Unlock()
	writeAnswer(w, code, raw)
}

func (f *fakeAPI) servePatch(w http.ResponseWriter, k objKey, body []byte) {
	f.mu.Lock()
	cur, ok := f.objects[k]
	f.mu.Unlock()
	if !ok {
		writeAnswer(w, 404, apierrors.NewNotFound(resourceGR(k), k.name).ErrStatus)
		return
	}
	patched, err := jsonpatch.MergePatch(cur, body)
	if err != nil {
		writeAnswer(w, 400, apierrors.NewBadRequest(err.Error()).ErrStatus)
		return
	}
	var obj map[string]any
	json.Unmarshal(patched, &obj)
	info, _ := resource.Lookup(k.resource)
	f.put(info, obj)
	f.serveGetCode(w, k, 200)
}

func (f *fakeAPI) serveDelete(w http.ResponseWriter, k objKey) {
	f.mu.Lock()
	_, ok := f.objects[k]
	f.mu.Unlock()
	if !ok {
		writeAnswer(w, 404, apierrors.NewNotFound(resourceGR(k), k.name).ErrStatus)
		return
	}
	info, _ := resource.Lookup(k.resource)
	f.remove(info, k.ns, k.name)
	writeAnswer(w, 200, metav1.Status{Status: metav1.StatusSuccess})
}
