package qmp

import "context"

// RunState is QEMU's run state as reported by query-status.
type RunState string

// Run states vigil distinguishes; QEMU has a few more (migration, debug).
const (
	StateRunning       RunState = "running"
	StatePaused        RunState = "paused"
	StatePrelaunch     RunState = "prelaunch"
	StateShutdown      RunState = "shutdown"
	StateGuestPanicked RunState = "guest-panicked"
	StateInternalError RunState = "internal-error"
	StateIOError       RunState = "io-error"
	StateSuspended     RunState = "suspended"
	StateWatchdog      RunState = "watchdog"
	StateInMigrate     RunState = "inmigrate"
	StatePostMigrate   RunState = "postmigrate"
	StateFinishMigrate RunState = "finish-migrate"
	StateRestoreVM     RunState = "restore-vm"
	StateSaveVM        RunState = "save-vm"
	StateDebug         RunState = "debug"
	StateColo          RunState = "colo"
)

// Status is query-status's reply.
type Status struct {
	Status  RunState `json:"status"`
	Running bool     `json:"running"`
}

// QueryStatus asks QEMU for its run state.
func (c *Client) QueryStatus(ctx context.Context) (Status, error) {
	var s Status
	err := c.Execute(ctx, "query-status", nil, &s)
	return s, err
}

// Stop pauses the guest's vCPUs (QEMU emits STOP).
func (c *Client) Stop(ctx context.Context) error {
	return c.Execute(ctx, "stop", nil, nil)
}

// Cont resumes the vCPUs, or starts them after -S (QEMU emits RESUME).
func (c *Client) Cont(ctx context.Context) error {
	return c.Execute(ctx, "cont", nil, nil)
}

// SystemPowerdown presses the virtual power button (an ACPI request the
// guest may ignore).
func (c *Client) SystemPowerdown(ctx context.Context) error {
	return c.Execute(ctx, "system_powerdown", nil, nil)
}

// SystemReset resets the machine at once (QEMU emits RESET).
func (c *Client) SystemReset(ctx context.Context) error {
	return c.Execute(ctx, "system_reset", nil, nil)
}

// Quit makes QEMU exit at once (QEMU emits SHUTDOWN, answers, then closes
// the connection). Confirm the exit with the process, not this reply.
func (c *Client) Quit(ctx context.Context) error {
	return c.Execute(ctx, "quit", nil, nil)
}
