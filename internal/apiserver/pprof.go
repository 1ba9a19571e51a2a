package apiserver

import (
	"net/http"
	"net/http/pprof"
	"strings"
)

// pprofPrefix is where Config.DebugPprof serves the Go runtime's profiles.
const pprofPrefix = "/debug/pprof/"

// withPprof serves net/http/pprof under /debug/pprof/ and hands every
// other path to next. Handler installs it only on trusted listeners (the
// unix socket) and only when Config.DebugPprof is set: profiles show the
// daemon's internals and a CPU profile or trace costs CPU while it runs.
func withPprof(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		name, ok := strings.CutPrefix(r.URL.Path, pprofPrefix)
		if !ok {
			next.ServeHTTP(w, r)
			return
		}
		switch name {
		case "cmdline":
			pprof.Cmdline(w, r)
		case "profile":
			pprof.Profile(w, r)
		case "symbol":
			pprof.Symbol(w, r)
		case "trace":
			pprof.Trace(w, r)
		default: // the index, and named profiles: heap, allocs, goroutine, ...
			pprof.Index(w, r)
		}
	})
}
