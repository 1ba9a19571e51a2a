package qga

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// ioDeadline bounds waits on real socket I/O; it never decides an outcome.
const ioDeadline = 10 * time.Second

func testCtx(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), ioDeadline)
	t.Cleanup(cancel)
	return ctx
}

func quiet(o Options) Options {
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	return o
}

func dialAgent(t testing.TB, f *fakeAgent, opts Options) *Client {
	t.Helper()
	c, err := Dial(testCtx(t), f.path, quiet(opts))
	if err != nil {
		t.Fatalf("Dial: %v", err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

func shortCtx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Millisecond)
	t.Cleanup(cancel)
	return ctx
}

func TestCommandsDecodeReplies(t *testing.T) {
	f := newFakeAgent(t, nil)
	c := dialAgent(t, f, Options{})
	ctx := testCtx(t)
	if err := c.Ping(ctx); err != nil {
		t.Fatalf("Ping: %v", err)
	}
	info, err := c.Info(ctx)
	if err != nil || info.Version != "7.2.0" || len(info.SupportedCommands) != 3 {
		t.Fatalf("Info = %+v, %v", info, err)
	}
	if !info.Supports("guest-ping") || info.Supports("guest-exec") || info.Supports("guest-nope") {
		t.Fatalf("Supports wrong for %+v", info.SupportedCommands)
	}
	if sc := info.SupportedCommands[1]; sc.Name != "guest-shutdown" || sc.SuccessResponse {
		t.Fatalf("second command = %+v", sc)
	}
	osi, err := c.OSInfo(ctx)
	want := OSInfo{ID: "debian", Name: "Debian GNU/Linux", PrettyName: "Debian GNU/Linux 12 (bookworm)", Version: "12 (bookworm)",
		VersionID: "12", KernelRelease: "6.1.0-30-amd64", KernelVersion: "#1 SMP", Machine: "x86_64"}
	if err != nil || *osi != want {
		t.Fatalf("OSInfo = %+v, %v", osi, err)
	}
	ifs, err := c.NetworkInterfaces(ctx)
	if err != nil || len(ifs) != 2 {
		t.Fatalf("NetworkInterfaces = %+v, %v", ifs, err)
	}
	eth := ifs[1]
	if eth.Name != "eth0" || eth.HardwareAddress != "52:54:00:12:34:56" || len(eth.IPAddresses) != 2 ||
		eth.IPAddresses[0] != (IPAddress{Type: "ipv4", Address: "10.88.0.5", Prefix: 24}) ||
		eth.IPAddresses[1].Type != "ipv6" || eth.IPAddresses[1].Prefix != 64 {
		t.Fatalf("eth0 = %+v", eth)
	}
}

func TestErrorReply(t *testing.T) {
	f := newFakeAgent(t, nil)
	c := dialAgent(t, f, Options{})
	err := c.Execute(testCtx(t), "guest-nope", nil, nil)
	var qe *Error
	if !errors.As(err, &qe) || qe.Class != "CommandNotFound" || qe.Command != "guest-nope" {
		t.Fatalf("error = %v, want *Error CommandNotFound", err)
	}
	if err := c.Ping(testCtx(t)); err != nil {
		t.Fatalf("Ping after an error reply: %v", err)
	}
}

// TestLateReplyIsNotTakenForTheNextAnswer: only the resync can tell the
// stale answer from the fresh one.
func TestLateReplyIsNotTakenForTheNextAnswer(t *testing.T) {
	release := make(chan struct{})
	var calls int
	f := newFakeAgent(t, func(f *fakeAgent) {
		f.handle = func(ac *agentConn, req agentRequest) {
			if req.Execute != "guest-get-osinfo" {
				f.defaultHandle(ac, req)
				return
			}
			calls++
			if calls == 1 {
				<-release // the agent is stuck; it answers after the client gave up
				ac.reply(req, OSInfo{Name: "stale"})
				return
			}
			ac.reply(req, OSInfo{Name: "fresh"})
		}
	})
	c := dialAgent(t, f, Options{})
	if _, err := c.OSInfo(shortCtx(t)); !errors.Is(err, ErrTimeout) || !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("first OSInfo error = %v, want ErrTimeout", err)
	}
	close(release)
	osi, err := c.OSInfo(testCtx(t))
	if err != nil || osi.Name != "fresh" {
		t.Fatalf("second OSInfo = %+v, %v; want the fresh answer", osi, err)
	}
}

func TestJunkBeforeTheSentinelIsDiscarded(t *testing.T) {
	f := newFakeAgent(t, func(f *fakeAgent) {
		f.preSync = func(ac *agentConn) {
			ac.write("garbage without a newline {\"return\": 1")
			ac.write("{\"return\": 42}\n{\"return\": {}}\nhello\n")
			ac.write("\xff{\"return\": 7}\n") // a stale sync reply with another id
			ac.write("\xff{\"retu")           // a sync reply cut short by a restart
		}
	})
	c := dialAgent(t, f, Options{})
	if err := c.Ping(testCtx(t)); err != nil {
		t.Fatalf("Ping after junk: %v", err)
	}
}

func TestGarbageReplyFailsAndRecovers(t *testing.T) {
	var calls int
	f := newFakeAgent(t, func(f *fakeAgent) {
		f.handle = func(ac *agentConn, req agentRequest) {
			if calls++; calls == 1 {
				ac.write("hello, I am not JSON\n")
				return
			}
			f.defaultHandle(ac, req)
		}
	})
	c := dialAgent(t, f, Options{})
	if err := c.Ping(testCtx(t)); !errors.Is(err, ErrProtocol) {
		t.Fatalf("Ping error = %v, want ErrProtocol", err)
	}
	if err := c.Ping(testCtx(t)); err != nil {
		t.Fatalf("Ping after resync: %v", err)
	}
}

func TestFloodWithoutNewlineIsBoundedAndRecovers(t *testing.T) {
	var calls int
	f := newFakeAgent(t, func(f *fakeAgent) {
		f.handle = func(ac *agentConn, req agentRequest) {
			if calls++; calls == 1 {
				ac.write(strings.Repeat("x", 1<<20))
				return
			}
			f.defaultHandle(ac, req)
		}
	})
	c := dialAgent(t, f, Options{MaxReplyBytes: 64 << 10})
	err := c.Ping(testCtx(t))
	if !errors.Is(err, ErrProtocol) || errors.Is(err, ErrTimeout) {
		t.Fatalf("Ping error = %v, want ErrProtocol (not a timeout)", err)
	}
	if err := c.Ping(testCtx(t)); err != nil {
		t.Fatalf("Ping after resync: %v", err)
	}
}

func TestEndlessFloodFailsWithinBudget(t *testing.T) {
	f := newFakeAgent(t, func(f *fakeAgent) {
		f.handle = func(ac *agentConn, req agentRequest) {
			chunk := []byte(strings.Repeat("y", 32<<10))
			for {
				if _, err := ac.conn.Write(chunk); err != nil {
					return
				}
			}
		}
	})
	c := dialAgent(t, f, Options{MaxReplyBytes: 64 << 10, MaxSyncDiscard: 256 << 10})
	for i := range 2 { // the command, then the resync before the next one
		err := c.Ping(testCtx(t))
		if !errors.Is(err, ErrProtocol) || errors.Is(err, ErrTimeout) {
			t.Fatalf("Ping %d error = %v, want ErrProtocol (not a timeout)", i, err)
		}
	}
}

func TestOverlongReplyFailsAndRecovers(t *testing.T) {
	var calls int
	f := newFakeAgent(t, func(f *fakeAgent) {
		f.handle = func(ac *agentConn, req agentRequest) {
			if calls++; calls == 1 {
				ac.reply(req, strings.Repeat("z", 100<<10))
				return
			}
			f.defaultHandle(ac, req)
		}
	})
	c := dialAgent(t, f, Options{MaxReplyBytes: 64 << 10})
	if err := c.Ping(testCtx(t)); !errors.Is(err, errLineTooLong) {
		t.Fatalf("Ping error = %v, want a too-long line", err)
	}
	if err := c.Ping(testCtx(t)); err != nil {
		t.Fatalf("Ping after resync: %v", err)
	}
}

func TestConcurrentCallersAreSerialized(t *testing.T) {
	f := newFakeAgent(t, nil)
	c := dialAgent(t, f, Options{})
	var wg sync.WaitGroup
	errs := make(chan error, 16*10)
	for g := range 16 {
		wg.Go(func() {
			for i := range 10 {
				word := fmt.Sprintf("w%d-%d", g, i)
				st, err := c.Run(testCtx(t), []string{"/bin/echo", word}, 0)
				if err == nil && string(st.Stdout) != word+"\n" {
					err = fmt.Errorf("sent %q, got %q", word, st.Stdout)
				}
				if err != nil {
					errs <- err
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	if n := f.overlap.Load(); n != 0 {
		t.Fatalf("%d requests were sent while another was unanswered", n)
	}
}

func TestWaitingForTheChannelRespectsTheDeadline(t *testing.T) {
	held := make(chan struct{})
	release := make(chan struct{})
	f := newFakeAgent(t, func(f *fakeAgent) {
		f.handle = func(ac *agentConn, req agentRequest) {
			if req.Execute == "guest-hold" {
				close(held)
				<-release
			}
			f.defaultHandle(ac, req)
		}
	})
	c := dialAgent(t, f, Options{})
	holder := make(chan error, 1)
	go func() { holder <- c.Execute(testCtx(t), "guest-hold", nil, nil) }()
	<-held
	err := c.Ping(shortCtx(t))
	if !errors.Is(err, ErrTimeout) || !strings.Contains(err.Error(), "waiting for the agent channel") {
		t.Fatalf("Ping error = %v, want a timeout waiting for the channel", err)
	}
	close(release)
	var qe *Error
	if err := <-holder; !errors.As(err, &qe) {
		t.Fatalf("holder error = %v, want the agent's error reply", err)
	}
}

func TestNoSocketIsAgentUnavailable(t *testing.T) {
	c := New(filepath.Join(t.TempDir(), "missing.sock"), quiet(Options{}))
	defer c.Close()
	if err := c.Ping(testCtx(t)); !errors.Is(err, ErrAgentUnavailable) {
		t.Fatalf("Ping error = %v, want ErrAgentUnavailable", err)
	}
}

// TestSilentChannelIsAgentUnavailable: QEMU accepts on the chardev even
// while no agent runs in the guest (the VM is booting); nothing answers.
func TestSilentChannelIsAgentUnavailable(t *testing.T) {
	path := filepath.Join(t.TempDir(), "silent.sock")
	ln, err := net.Listen("unix", path)
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		conn, err := ln.Accept()
		if err == nil {
			buf := make([]byte, 4096)
			for _, err := conn.Read(buf); err == nil; _, err = conn.Read(buf) {
			}
			conn.Close()
		}
	}()
	_, err = Dial(shortCtx(t), path, quiet(Options{}))
	if !errors.Is(err, ErrAgentUnavailable) || !errors.Is(err, ErrTimeout) {
		t.Fatalf("Dial error = %v, want ErrAgentUnavailable and ErrTimeout", err)
	}
}

func TestReconnectsAfterTheConnectionEnds(t *testing.T) {
	var died bool
	f := newFakeAgent(t, func(f *fakeAgent) {
		f.handle = func(ac *agentConn, req agentRequest) {
			if req.Execute == "guest-die" && !died {
				died = true
				ac.conn.Close() // the agent restarted mid-command
				return
			}
			f.defaultHandle(ac, req)
		}
	})
	c := dialAgent(t, f, Options{})
	if err := c.Execute(testCtx(t), "guest-die", nil, nil); !errors.Is(err, ErrAgentUnavailable) {
		t.Fatalf("error = %v, want ErrAgentUnavailable", err)
	}
	if err := c.Ping(testCtx(t)); err != nil {
		t.Fatalf("Ping after reconnect: %v", err)
	}
	if n := f.accepts.Load(); n != 2 {
		t.Fatalf("connections = %d, want 2", n)
	}
}

func TestCloseThenDialAgain(t *testing.T) {
	f := newFakeAgent(t, nil)
	c := dialAgent(t, f, Options{})
	c.Close()
	c.Close()
	if err := c.Ping(testCtx(t)); !errors.Is(err, ErrClosed) {
		t.Fatalf("Ping after Close = %v, want ErrClosed", err)
	}
	c2 := dialAgent(t, f, Options{})
	if err := c2.Ping(testCtx(t)); err != nil {
		t.Fatalf("Ping on a new client: %v", err)
	}
}

func TestCloseInterruptsACommandInFlight(t *testing.T) {
	held := make(chan struct{})
	f := newFakeAgent(t, func(f *fakeAgent) {
		f.handle = func(ac *agentConn, req agentRequest) { close(held) } // never answers
	})
	c := dialAgent(t, f, Options{})
	errc := make(chan error, 1)
	go func() { errc <- c.Ping(testCtx(t)) }()
	<-held
	c.Close()
	if err := <-errc; !errors.Is(err, ErrClosed) {
		t.Fatalf("Ping error = %v, want ErrClosed", err)
	}
}

func BenchmarkQGAPing(b *testing.B) {
	f := newFakeAgent(b, nil)
	c := dialAgent(b, f, Options{})
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if err := c.Ping(ctx); err != nil {
			b.Fatal(err)
		}
	}
}
