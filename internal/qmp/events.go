package qmp

import (
	"encoding/json"
	"fmt"
	"time"
)

// Event names vigil acts on.
const (
	EventShutdown       = "SHUTDOWN"
	EventReset          = "RESET"
	EventStop           = "STOP"
	EventResume         = "RESUME"
	EventWatchdog       = "WATCHDOG"
	EventVserportChange = "VSERPORT_CHANGE"
)

// Event is one asynchronous QMP event. Data is a private copy of the
// event's "data" member (nil when the event has none).
type Event struct {
	Name      string
	Data      json.RawMessage
	Timestamp time.Time
}

// wireTime is QMP's event timestamp: seconds and microseconds since the epoch.
type wireTime struct {
	Seconds      int64 `json:"seconds"`
	Microseconds int64 `json:"microseconds"`
}

func (t *wireTime) time() time.Time {
	if t == nil {
		return time.Time{}
	}
	return time.Unix(t.Seconds, t.Microseconds*int64(time.Microsecond))
}

// ShutdownData is SHUTDOWN's data: whether the guest asked for it, and why
// (e.g. "guest-shutdown", "host-qmp-quit", "host-signal").
type ShutdownData struct {
	Guest  bool   `json:"guest"`
	Reason string `json:"reason"`
}

// ResetData is RESET's data, shaped like SHUTDOWN's.
type ResetData struct {
	Guest  bool   `json:"guest"`
	Reason string `json:"reason"`
}

// WatchdogData is WATCHDOG's data: the action QEMU takes next
// ("reset", "poweroff", "shutdown", "pause", "debug", "none", "inject-nmi").
type WatchdogData struct {
	Action string `json:"action"`
}

// VserportChangeData is VSERPORT_CHANGE's data: a virtio-serial port (by
// its -device id) was opened or closed by the guest. For the guest agent's
// port this tells that the agent came or went.
type VserportChangeData struct {
	ID   string `json:"id"`
	Open bool   `json:"open"`
}

// Shutdown decodes a SHUTDOWN event's data.
func (e Event) Shutdown() (ShutdownData, error) {
	var d ShutdownData
	return d, e.decode(EventShutdown, &d)
}

// Reset decodes a RESET event's data.
func (e Event) Reset() (ResetData, error) {
	var d ResetData
	return d, e.decode(EventReset, &d)
}

// Watchdog decodes a WATCHDOG event's data.
func (e Event) Watchdog() (WatchdogData, error) {
	var d WatchdogData
	return d, e.decode(EventWatchdog, &d)
}

// VserportChange decodes a VSERPORT_CHANGE event's data.
func (e Event) VserportChange() (VserportChangeData, error) {
	var d VserportChangeData
	return d, e.decode(EventVserportChange, &d)
}

func (e Event) decode(want string, v any) error {
	if e.Name != want {
		return fmt.Errorf("qmp: event %s is not %s", e.Name, want)
	}
	if len(e.Data) == 0 {
		return fmt.Errorf("qmp: event %s: no data", e.Name)
	}
	if err := json.Unmarshal(e.Data, v); err != nil {
		return fmt.Errorf("qmp: event %s: decoding data: %w", e.Name, err)
	}
	return nil
}

// publish queues an event without ever blocking the reader: when the
// buffer is full it drops the oldest queued event and counts it. Only the
// reader sends, so after one receive there is room (or the consumer made
// some); the loop ends within two rounds.
func (c *Client) publish(ev Event) {
	for {
		select {
		case c.events <- ev:
			return
		default:
		}
		select {
		case old := <-c.events:
			n := c.dropped.Add(1)
			c.log.Debug("qmp: event buffer full, dropped the oldest", "event", old.Name, "dropped", n)
		default:
		}
	}
}
