package qmp

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"
)

// ioDeadline bounds waits on real socket I/O; it never decides an outcome.
const ioDeadline = 10 * time.Second

func dialFake(t testing.TB, f *fakeQMP, opts Options) *Client {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), ioDeadline)
	defer cancel()
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	c, err := Dial(ctx, f.path, opts)
	if err != nil {
		t.Fatalf("Dial: %v", err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

func testCtx(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), ioDeadline)
	t.Cleanup(cancel)
	return ctx
}

type num struct {
	N int `json:"n"`
}

func TestDialReadsGreetingAndNegotiatesCapabilities(t *testing.T) {
	f := newFakeQMP(t, nil)
	c := dialFake(t, f, Options{})
	if got := <-f.caps; got != "qmp_capabilities" {
		t.Fatalf("first command = %q, want qmp_capabilities", got)
	}
	want := Version{Major: 7, Minor: 2, Micro: 22, Package: "fake"}
	if c.Version() != want {
		t.Fatalf("Version() = %+v, want %+v", c.Version(), want)
	}
	var got num
	if err := c.Execute(testCtx(t), "echo", num{N: 7}, &got); err != nil || got.N != 7 {
		t.Fatalf("Execute = %+v, %v; want n=7", got, err)
	}
}

func TestDialTimesOutWithoutGreeting(t *testing.T) {
	f := newFakeQMPGreeting(t, "", nil)
	_, err := Dial(context.Background(), f.path, Options{HandshakeTimeout: 50 * time.Millisecond})
	if !errors.Is(err, ErrTimeout) || !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Dial error = %v, want ErrTimeout wrapping DeadlineExceeded", err)
	}
}

func TestDialRejectsBadGreeting(t *testing.T) {
	f := newFakeQMPGreeting(t, `{"return": {}}`, nil)
	_, err := Dial(testCtx(t), f.path, Options{})
	if !errors.Is(err, ErrProtocol) {
		t.Fatalf("Dial error = %v, want ErrProtocol", err)
	}
}

func TestRepliesMatchedByIDOutOfOrder(t *testing.T) {
	const n = 3
	var held []fakeRequest
	f := newFakeQMP(t, func(fc *fakeConn, req fakeRequest) {
		held = append(held, req)
		if len(held) < n {
			return
		}
		for i := len(held) - 1; i >= 0; i-- { // answer newest first
			fc.reply(held[i], held[i].Arguments)
		}
	})
	c := dialFake(t, f, Options{})
	errs := make(chan error, n)
	for i := range n {
		go func() {
			var got num
			err := c.Execute(testCtx(t), "echo", num{N: i}, &got)
			if err == nil && got.N != i {
				err = fmt.Errorf("sent %d, got %d", i, got.N)
			}
			errs <- err
		}()
	}
	for range n {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
}

func TestConcurrentExecute(t *testing.T) {
	f := newFakeQMP(t, nil)
	c := dialFake(t, f, Options{})
	var wg sync.WaitGroup
	errs := make(chan error, 64*32)
	for g := range 64 {
		wg.Go(func() {
			for i := range 32 {
				want := g*1000 + i
				var got num
				if err := c.Execute(testCtx(t), "echo", num{N: want}, &got); err != nil {
					errs <- err
				} else if got.N != want {
					errs <- fmt.Errorf("sent %d, got %d", want, got.N)
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	c.mu.Lock()
	left := len(c.pending)
	c.mu.Unlock()
	if left != 0 {
		t.Fatalf("%d requests still pending", left)
	}
}

func TestTimeoutThenLateReplyIsDropped(t *testing.T) {
	release := make(chan struct{})
	lateSent := make(chan struct{})
	f := newFakeQMP(t, func(fc *fakeConn, req fakeRequest) {
		if req.Execute != "slow" {
			echoHandler(fc, req)
			return
		}
		go func() {
			<-release
			fc.reply(req, num{N: -1})
			close(lateSent)
		}()
	})
	c := dialFake(t, f, Options{})

	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Millisecond)
	defer cancel()
	var got num
	err := c.Execute(ctx, "slow", nil, &got)
	if !errors.Is(err, ErrTimeout) || !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("slow: error = %v, want ErrTimeout", err)
	}

	close(release)
	<-lateSent
	if err := c.Execute(testCtx(t), "echo", num{N: 5}, &got); err != nil || got.N != 5 {
		t.Fatalf("echo after late reply = %+v, %v; want n=5", got, err)
	}
	if n := c.unmatched.Load(); n != 1 {
		t.Fatalf("unmatched replies = %d, want 1 (the late one)", n)
	}
}

func TestCommandTimeoutOptionApplies(t *testing.T) {
	f := newFakeQMP(t, func(fc *fakeConn, req fakeRequest) {}) // never answers
	c := dialFake(t, f, Options{CommandTimeout: 30 * time.Millisecond})
	err := c.Execute(context.Background(), "silent", nil, nil)
	if !errors.Is(err, ErrTimeout) {
		t.Fatalf("error = %v, want ErrTimeout", err)
	}
}

func TestCancelIsNotATimeout(t *testing.T) {
	got := make(chan struct{})
	f := newFakeQMP(t, func(fc *fakeConn, req fakeRequest) { close(got) })
	c := dialFake(t, f, Options{})
	ctx, cancel := context.WithCancel(context.Background())
	go func() { <-got; cancel() }()
	err := c.Execute(ctx, "silent", nil, nil)
	if !errors.Is(err, context.Canceled) || errors.Is(err, ErrTimeout) {
		t.Fatalf("error = %v, want context.Canceled only", err)
	}
}

func TestErrorReply(t *testing.T) {
	f := newFakeQMP(t, func(fc *fakeConn, req fakeRequest) {
		fc.replyError(req, "CommandNotFound", "The command nope has not been found")
	})
	c := dialFake(t, f, Options{})
	err := c.Execute(testCtx(t), "nope", nil, nil)
	var qe *Error
	if !errors.As(err, &qe) {
		t.Fatalf("error = %v, want *Error", err)
	}
	if qe.Class != "CommandNotFound" || qe.Command != "nope" || !strings.Contains(qe.Desc, "nope") {
		t.Fatalf("error = %+v", qe)
	}
	if err := c.Execute(testCtx(t), "nope", nil, nil); !errors.As(err, &qe) {
		t.Fatalf("connection unusable after an error reply: %v", err)
	}
}

func TestResultDecodeError(t *testing.T) {
	f := newFakeQMP(t, func(fc *fakeConn, req fakeRequest) { fc.reply(req, "a string") })
	c := dialFake(t, f, Options{})
	var got num
	err := c.Execute(testCtx(t), "query-thing", nil, &got)
	if err == nil || !strings.Contains(err.Error(), "query-thing") {
		t.Fatalf("error = %v, want a decode error naming the command", err)
	}
}

func TestEOFFailsPendingWithErrClosed(t *testing.T) {
	held := make(chan struct{}, 8)
	f := newFakeQMP(t, func(fc *fakeConn, req fakeRequest) {
		switch req.Execute {
		case "hold":
			held <- struct{}{}
		case "die":
			fc.conn.Close()
		}
	})
	c := dialFake(t, f, Options{})
	const n = 5
	errs := make(chan error, n+1)
	for range n {
		go func() { errs <- c.Execute(testCtx(t), "hold", nil, nil) }()
	}
	for range n {
		<-held
	}
	go func() { errs <- c.Execute(testCtx(t), "die", nil, nil) }()
	for range n + 1 {
		if err := <-errs; !errors.Is(err, ErrClosed) {
			t.Fatalf("pending error = %v, want ErrClosed", err)
		}
	}
	<-c.Disconnected()
	if _, ok := <-c.Events(); ok {
		t.Fatal("Events() still open after EOF")
	}
	if err := c.Execute(testCtx(t), "echo", nil, nil); !errors.Is(err, ErrClosed) {
		t.Fatalf("Execute after EOF = %v, want ErrClosed", err)
	}
}

func TestCloseIsIdempotentAndFailsPending(t *testing.T) {
	held := make(chan struct{})
	f := newFakeQMP(t, func(fc *fakeConn, req fakeRequest) { close(held) })
	c := dialFake(t, f, Options{})
	errc := make(chan error, 1)
	go func() { errc <- c.Execute(testCtx(t), "hold", nil, nil) }()
	<-held
	if err := c.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if err := c.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	if err := <-errc; !errors.Is(err, ErrClosed) {
		t.Fatalf("pending error = %v, want ErrClosed", err)
	}
	if !errors.Is(c.Err(), ErrClosed) {
		t.Fatalf("Err() = %v, want ErrClosed", c.Err())
	}
}

func TestEventFloodDoesNotBlockReplies(t *testing.T) {
	const flood, buffer = 10000, 16
	f := newFakeQMP(t, func(fc *fakeConn, req fakeRequest) {
		for i := range flood {
			fc.event(EventVserportChange, map[string]any{"id": fmt.Sprint(i), "open": true})
		}
		fc.reply(req, struct{}{})
	})
	c := dialFake(t, f, Options{EventBuffer: buffer})
	if err := c.Execute(testCtx(t), "flood", nil, nil); err != nil {
		t.Fatalf("Execute during an unread event flood: %v", err)
	}
	if got := c.Dropped(); got != flood-buffer {
		t.Fatalf("Dropped() = %d, want %d", got, flood-buffer)
	}
	for i := flood - buffer; i < flood; i++ { // the newest survive, in order
		d, err := (<-c.Events()).VserportChange()
		if err != nil || d.ID != fmt.Sprint(i) {
			t.Fatalf("event = %+v, %v; want id %d", d, err, i)
		}
	}
}

func TestGarbageLinesAreSkipped(t *testing.T) {
	f := newFakeQMP(t, func(fc *fakeConn, req fakeRequest) {
		for _, g := range []string{"hello", "{", "[1,2]", `{"unknown": 1}`, "", `{"return": {}}`, `{"id": "x", "return": {}}`} {
			fc.sendRaw(g)
		}
		fc.reply(req, num{N: 9})
	})
	c := dialFake(t, f, Options{})
	var got num
	if err := c.Execute(testCtx(t), "echo", nil, &got); err != nil || got.N != 9 {
		t.Fatalf("Execute after garbage = %+v, %v; want n=9", got, err)
	}
}

func TestOverlongLineClosesClient(t *testing.T) {
	f := newFakeQMP(t, func(fc *fakeConn, req fakeRequest) {
		fc.sendRaw(`{"event": "X", "data": "` + strings.Repeat("a", 10000) + `"}`)
		fc.reply(req, struct{}{})
	})
	c := dialFake(t, f, Options{MaxLineBytes: 4096})
	err := c.Execute(testCtx(t), "big", nil, nil)
	if !errors.Is(err, ErrClosed) || !errors.Is(err, ErrProtocol) {
		t.Fatalf("error = %v, want ErrClosed and ErrProtocol", err)
	}
	<-c.Disconnected()
}

func TestEventTimestampAndData(t *testing.T) {
	f := newFakeQMP(t, func(fc *fakeConn, req fakeRequest) {
		fc.event(EventShutdown, ShutdownData{Guest: true, Reason: "guest-shutdown"})
		fc.event(EventStop, nil)
		fc.reply(req, struct{}{})
	})
	c := dialFake(t, f, Options{})
	if err := c.Execute(testCtx(t), "go", nil, nil); err != nil {
		t.Fatal(err)
	}
	ev := <-c.Events()
	if want := time.Unix(1700000000, 250000); !ev.Timestamp.Equal(want) {
		t.Fatalf("timestamp = %v, want %v", ev.Timestamp, want)
	}
	if d, err := ev.Shutdown(); err != nil || d != (ShutdownData{Guest: true, Reason: "guest-shutdown"}) {
		t.Fatalf("Shutdown() = %+v, %v", d, err)
	}
	if ev := <-c.Events(); ev.Name != EventStop || ev.Data != nil {
		t.Fatalf("second event = %+v, want STOP without data", ev)
	}
}

func TestEventDecoders(t *testing.T) {
	tests := []struct {
		name   string
		ev     Event
		decode func(Event) (any, error)
		want   any
	}{
		{"reset", Event{Name: EventReset, Data: json.RawMessage(`{"guest": false, "reason": "host-qmp-system-reset"}`)},
			func(e Event) (any, error) { return e.Reset() }, ResetData{Reason: "host-qmp-system-reset"}},
		{"watchdog", Event{Name: EventWatchdog, Data: json.RawMessage(`{"action": "poweroff"}`)},
			func(e Event) (any, error) { return e.Watchdog() }, WatchdogData{Action: "poweroff"}},
		{"vserport", Event{Name: EventVserportChange, Data: json.RawMessage(`{"id": "channel0", "open": true}`)},
			func(e Event) (any, error) { return e.VserportChange() }, VserportChangeData{ID: "channel0", Open: true}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := tt.decode(tt.ev)
			if err != nil || got != tt.want {
				t.Fatalf("got %+v, %v; want %+v", got, err, tt.want)
			}
		})
	}
}

func TestEventDecoderErrors(t *testing.T) {
	if _, err := (Event{Name: EventStop}).Shutdown(); err == nil {
		t.Fatal("decoding STOP as SHUTDOWN succeeded")
	}
	if _, err := (Event{Name: EventWatchdog}).Watchdog(); err == nil {
		t.Fatal("decoding WATCHDOG without data succeeded")
	}
	if _, err := (Event{Name: EventWatchdog, Data: json.RawMessage(`[]`)}).Watchdog(); err == nil {
		t.Fatal("decoding malformed WATCHDOG data succeeded")
	}
}

func BenchmarkQMPExecute(b *testing.B) {
	f := newFakeQMP(b, nil)
	c := dialFake(b, f, Options{})
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		var got num
		if err := c.Execute(ctx, "echo", num{N: 1}, &got); err != nil {
			b.Fatal(err)
		}
	}
}
