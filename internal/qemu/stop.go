package qemu

import (
	"context"
	"errors"
	"fmt"
	"time"

	"golang.org/x/sys/unix"
)

// ErrDetached means the Process was closed: it no longer acts on QEMU.
var ErrDetached = errors.New("process handle is closed")

// Shutdown stops the VM: it presses the ACPI power button, waits up to
// grace for QEMU to exit (the guest powers off; -action shutdown=poweroff
// makes QEMU exit then), and kills QEMU with SIGKILL if it has not. Grace 0
// kills at once. It returns once the process is proven gone (Exited), or
// with an error when ctx ends first; a failed power button press is logged
// and the kill follows after the grace.
func (p *Process) Shutdown(ctx context.Context, grace time.Duration) error {
	if p.closed.Load() {
		return fmt.Errorf("shutting down qemu pid %d: %w", p.pid, ErrDetached)
	}
	p.markStopRequested()
	if grace > 0 && !p.gone() {
		if err := p.qmp.SystemPowerdown(ctx); err != nil {
			p.log.Warn("qemu: power button press failed; killing after the grace period", "err", err, "grace", grace)
		} else {
			p.log.Info("qemu: pressed the power button", "grace", grace)
		}
		t := time.NewTimer(grace)
		defer t.Stop()
		select {
		case <-p.exited:
			return nil
		case <-ctx.Done():
			return fmt.Errorf("shutting down qemu pid %d: waiting for the guest: %w", p.pid, ctx.Err())
		case <-t.C:
			p.log.Warn("qemu: guest did not power off within the grace period; killing", "grace", grace)
		}
	}
	if err := p.Kill(); err != nil {
		return fmt.Errorf("shutting down qemu pid %d: %w", p.pid, err)
	}
	select {
	case <-p.exited:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("shutting down qemu pid %d: waiting for the exit after SIGKILL: %w", p.pid, ctx.Err())
	}
}

// Kill sends QEMU SIGKILL through its pidfd (so it can never hit another
// process that got the pid since). It does not wait: Exited closes once
// the process is gone. Killing a process that is already gone is no error.
func (p *Process) Kill() error {
	if p.closed.Load() {
		return fmt.Errorf("killing qemu pid %d: %w", p.pid, ErrDetached)
	}
	p.markStopRequested()
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.pidfd < 0 {
		return nil // already exited and settled
	}
	err := unix.PidfdSendSignal(p.pidfd, unix.SIGKILL, nil, 0)
	if err != nil && !errors.Is(err, unix.ESRCH) {
		return fmt.Errorf("killing qemu pid %d: %w", p.pid, err)
	}
	p.log.Info("qemu: sent SIGKILL")
	return nil
}

// Pause stops the guest's vCPUs (QMP stop).
func (p *Process) Pause(ctx context.Context) error {
	if err := p.qmp.Stop(ctx); err != nil {
		return fmt.Errorf("pausing qemu pid %d: %w", p.pid, err)
	}
	return nil
}

// Resume restarts the guest's vCPUs (QMP cont).
func (p *Process) Resume(ctx context.Context) error {
	if err := p.qmp.Cont(ctx); err != nil {
		return fmt.Errorf("resuming qemu pid %d: %w", p.pid, err)
	}
	return nil
}

func (p *Process) markStopRequested() {
	p.mu.Lock()
	p.outcome.StopRequested = true
	p.mu.Unlock()
}

func (p *Process) gone() bool {
	select {
	case <-p.exited:
		return true
	default:
		return false
	}
}
