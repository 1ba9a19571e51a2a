package qemu

import (
	"encoding/json"
	"fmt"
	"log/slog"
	"syscall"
	"testing"

	"vigil.dev/vigil/internal/qmp"
)

func event(name, data string) qmp.Event {
	ev := qmp.Event{Name: name}
	if data != "" {
		ev.Data = json.RawMessage(data)
	}
	return ev
}

// TestOutcome replays event sequences as QEMU 7.2 sends them for each way
// a VM ends, and checks what the Outcome concludes.
func TestOutcome(t *testing.T) {
	guestOff := event(qmp.EventShutdown, `{"guest":true,"reason":"guest-shutdown"}`)
	cases := []struct {
		name   string
		events []qmp.Event
		exit   ExitInfo
		want   Outcome
	}{{
		name:   "guest powered off",
		events: []qmp.Event{guestOff},
		exit:   ExitInfo{Known: true},
		want:   Outcome{ShutdownSeen: true, GuestShutdown: true, ShutdownReason: "guest-shutdown"},
	}, {
		name:   "watchdog poweroff exits without SHUTDOWN",
		events: []qmp.Event{event(qmp.EventWatchdog, `{"action":"poweroff"}`)},
		exit:   ExitInfo{Known: true},
		want:   Outcome{WatchdogFirings: 1, WatchdogAction: "poweroff"},
	}, {
		name: "watchdog reset twice, then watchdog shutdown obeyed by the guest",
		events: []qmp.Event{
			event(qmp.EventWatchdog, `{"action":"reset"}`), event(qmp.EventReset, `{"guest":true,"reason":"guest-reset"}`),
			event(qmp.EventWatchdog, `{"action":"reset"}`), event(qmp.EventReset, `{"guest":true,"reason":"guest-reset"}`),
			event(qmp.EventWatchdog, `{"action":"shutdown"}`), guestOff,
		},
		exit: ExitInfo{Known: true},
		want: Outcome{WatchdogFirings: 3, WatchdogAction: "shutdown", Resets: 2,
			ShutdownSeen: true, GuestShutdown: true, ShutdownReason: "guest-shutdown"},
	}, {
		name:   "SIGTERM is an orderly host shutdown",
		events: []qmp.Event{event(qmp.EventShutdown, `{"guest":false,"reason":"host-signal"}`)},
		exit:   ExitInfo{Known: true},
		want:   Outcome{ShutdownSeen: true, ShutdownReason: "host-signal"},
	}, {
		name:   "SIGKILL after a watchdog reset",
		events: []qmp.Event{event(qmp.EventWatchdog, `{"action":"reset"}`), event(qmp.EventReset, `{"guest":true,"reason":"guest-reset"}`)},
		exit:   ExitInfo{Known: true, Signal: syscall.SIGKILL},
		want:   Outcome{WatchdogFirings: 1, WatchdogAction: "reset", Resets: 1, Killed: true},
	}, {
		name: "no events at all",
		exit: ExitInfo{},
		want: Outcome{Killed: true},
	}}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p := newProcess(testUID, "/run/x", 1, -1, quietLogger(), false)
			for _, ev := range c.events {
				p.record(ev)
			}
			got := settle(p.Outcome(), c.exit, false)
			c.want.Exited, c.want.Exit = true, c.exit
			if got != c.want {
				t.Errorf("outcome = %+v\nwant      %+v", got, c.want)
			}
		})
	}
	if o := settle(Outcome{}, ExitInfo{}, true); !o.EventsIncomplete {
		t.Error("lost events must make the outcome incomplete")
	}
}

// A caller that falls behind loses the oldest events, and the Outcome says
// so; its counts, recorded before forwarding, do not depend on the caller.
func TestForwardDropsTheOldestAndMarksEventsIncomplete(t *testing.T) {
	p := newProcess("uid", RunDir(""), 1, -1, slog.New(slog.DiscardHandler), false)
	for i := range eventBuffer + 2 {
		p.forward(qmp.Event{Name: fmt.Sprintf("E%d", i)})
	}
	if !p.Outcome().EventsIncomplete {
		t.Fatal("events were dropped but the Outcome does not say so")
	}
	if first := <-p.events; first.Name != "E2" {
		t.Fatalf("oldest kept event %s, want E2 (E0 and E1 dropped)", first.Name)
	}
}
