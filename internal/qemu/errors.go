package qemu

import "errors"

var (
	// ErrNotRunning means no QEMU of the VMI runs: the pidfile is missing or
	// stale, or the process it names is not this VMI's QEMU.
	ErrNotRunning = errors.New("qemu is not running")

	// ErrStillRunning means a QEMU of the VMI is alive where none may be
	// (a second launch in the same run directory, a cleanup).
	ErrStillRunning = errors.New("qemu is still running")

	// ErrStartFailed means QEMU was started but did not come up: it exited,
	// or its pidfile and QMP socket did not appear in time. The error text
	// carries the end of qemu.log.
	ErrStartFailed = errors.New("qemu did not start")

	// ErrKVMUnavailable means KVM was asked for but cannot run guests here.
	ErrKVMUnavailable = errors.New("kvm is not usable")
)
