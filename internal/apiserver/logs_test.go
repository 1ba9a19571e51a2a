package apiserver

import (
	"bufio"
	"context"
	"io"
	"net/http"
	"testing"
	"time"
)

func TestLogsWithoutFollow(t *testing.T) {
	e, node := newNodeEnv(t, true)
	node.log = "[    0.000000] Linux version 6.1\nwelcome\n"
	for _, q := range []string{"", "?follow=false", "?follow=0"} {
		r := e.do("GET", e.subPath("vm1", "log")+q, "", nil).must(t, 200)
		if string(r.body) != node.log {
			t.Errorf("%q: body %q", q, r.body)
		}
		if ct := r.header.Get("Content-Type"); ct != "text/plain; charset=utf-8" {
			t.Errorf("%q: Content-Type %q", q, ct)
		}
	}
}

func TestLogsFollowStreamsUntilTheClientGoes(t *testing.T) {
	e, node := newNodeEnv(t, true)
	node.log = "boot\n"
	ctx, cancel := context.WithTimeout(context.Background(), ioDeadline)
	defer cancel()
	reqCtx, leave := context.WithCancel(ctx)
	req, _ := http.NewRequestWithContext(reqCtx, "GET", e.http.URL+e.subPath("vm1", "log")+"?follow=true", nil)
	resp, err := e.http.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("status %s", resp.Status)
	}
	lines := bufio.NewReader(resp.Body)
	readLine := func(want string) {
		t.Helper()
		got, err := lines.ReadString('\n')
		if err != nil || got != want {
			t.Fatalf("line %q, %v; want %q", got, err, want)
		}
	}
	readLine("boot\n")
	// A line the guest prints later arrives while the stream is open:
	// the server flushes as it goes.
	select {
	case node.more <- "login: \n":
	case <-ctx.Done():
		t.Fatal("the follow stream stopped reading the log")
	}
	readLine("login: \n")
	leave()
	select {
	case <-node.followed:
	case <-ctx.Done():
		t.Fatal("the node's log stream did not end when the client left")
	}
	if _, err := io.ReadAll(resp.Body); err == nil {
		t.Error("reading a cancelled stream succeeded")
	}
}

func TestLogsRejectsABadFollow(t *testing.T) {
	e, _ := newNodeEnv(t, true)
	st := e.do("GET", e.subPath("vm1", "log")+"?follow=maybe", "", nil).must(t, 400).status(t)
	if st.Message != `follow: invalid value "maybe": must be true or false` {
		t.Errorf("message %q", st.Message)
	}
}

func TestLogsFollowEndsAtShutdown(t *testing.T) {
	e, node := newNodeEnv(t, true)
	ctx, cancel := context.WithTimeout(context.Background(), ioDeadline)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, "GET", e.http.URL+e.subPath("vm1", "log")+"?follow=1", nil)
	resp, err := e.http.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	e.srv.stopWatches()
	body, err := io.ReadAll(resp.Body)
	if err != nil || len(body) != 0 {
		t.Errorf("stream after shutdown: %q, %v; want a clean end", body, err)
	}
	select {
	case <-node.followed:
	case <-time.After(ioDeadline):
		t.Fatal("the node's log stream did not end at shutdown")
	}
}
