package apiserver

import (
	"context"
	"errors"
	"io"
	"net/http"
	"strconv"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
)

// logChunk is the most read from the node's log before each flush.
const logChunk = 32 << 10

// serveLogs serves GET .../virtualmachineinstances/NAME/log[?follow=true]:
// the serial console log as text/plain, flushed as it comes. With follow
// the stream lasts until the client goes, the VMI's QEMU is gone, or the
// server shuts down.
func (s *Server) serveLogs(w http.ResponseWriter, r *http.Request, ns, name string) {
	if r.Method != http.MethodGet {
		s.writeError(w, r, methodNotAllowed(r.Method, "log"))
		return
	}
	follow, err := parseFollow(r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	ctx, cancel := s.watchContext(r.Context(), 0)
	defer cancel()
	log, err := s.cfg.Node.Logs(ctx, ns, name, follow)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	defer log.Close()
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusOK)
	rc := http.NewResponseController(w)
	_ = rc.Flush() // a follower learns at once that the stream is open
	if err := copyFlushing(w, rc, log); err != nil && ctx.Err() == nil {
		s.log.Debug("log stream ended early", "vmi", vmiKey(ns, name), "follow", follow, "err", err)
	}
}

// parseFollow reads the follow query parameter: absent, true/false or 1/0.
func parseFollow(r *http.Request) (bool, error) {
	v := r.URL.Query().Get("follow")
	if v == "" {
		return false, nil
	}
	b, err := strconv.ParseBool(v)
	if err != nil {
		return false, apierrors.NewBadRequest("follow: invalid value " + strconv.Quote(v) + ": must be true or false")
	}
	return b, nil
}

// copyFlushing copies src to w, flushing after every read so a follower
// sees each line as the guest prints it. It returns nil at src's end.
func copyFlushing(w io.Writer, rc *http.ResponseController, src io.Reader) error {
	buf := make([]byte, logChunk)
	for {
		n, err := src.Read(buf)
		if n > 0 {
			if _, werr := w.Write(buf[:n]); werr != nil {
				return werr
			}
			if ferr := rc.Flush(); ferr != nil {
				return ferr
			}
		}
		switch {
		case errors.Is(err, io.EOF), errors.Is(err, context.Canceled):
			return nil
		case err != nil:
			return err
		}
	}
}
