package node

import (
	"strings"
	"syscall"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"

	v1 "vigil.dev/vigil/api/v1"
	"vigil.dev/vigil/internal/qemu"
)

func TestFinalFromOutcome(t *testing.T) {
	guestOff := qemu.Outcome{Exited: true, ShutdownSeen: true, GuestShutdown: true, ShutdownReason: "guest-shutdown"}
	sigkill := qemu.Outcome{Exited: true, Killed: true, Exit: qemu.ExitInfo{Known: true, Code: -1, Signal: syscall.SIGKILL}}
	tests := []struct {
		name       string
		o          qemu.Outcome
		intent     stopIntent
		wantPhase  v1.VirtualMachineInstancePhase
		wantReason string
		wantInMsg  string
	}{
		{"guest powered off", guestOff, stopIntent{}, v1.Succeeded, ReasonGuestShutdown, "powered itself off"},
		{"killed by a signal", sigkill, stopIntent{}, v1.Failed, ReasonKilled, "signal 9"},
		{"exited non-zero", qemu.Outcome{Exited: true, Killed: true, Exit: qemu.ExitInfo{Known: true, Code: 1}},
			stopIntent{}, v1.Failed, ReasonCrashed, "code 1"},
		{"ended after reattach, status unknown", qemu.Outcome{Exited: true, Killed: true, EventsIncomplete: true},
			stopIntent{}, v1.Failed, ReasonCrashed, "unknown"},
		{"stopped from the host", qemu.Outcome{Exited: true, ShutdownSeen: true, ShutdownReason: "host-signal"},
			stopIntent{}, v1.Failed, ReasonKilled, "host-signal"},
		{"watchdog poweroff", qemu.Outcome{Exited: true, WatchdogFirings: 1, WatchdogAction: "poweroff", Exit: qemu.ExitInfo{Known: true}},
			stopIntent{}, v1.Failed, v1.WatchdogPoweroffReason, "poweroff"},
		{"watchdog shutdown obeyed", qemu.Outcome{Exited: true, ShutdownSeen: true, GuestShutdown: true, WatchdogFirings: 1, WatchdogAction: "shutdown"},
			stopIntent{}, v1.Succeeded, v1.WatchdogShutdownReason, "watchdog"},
		{"deleted, guest obeyed", guestOff, stopIntent{Deleting: true, Grace: 30 * time.Second},
			v1.Succeeded, ReasonGuestShutdown, "deleted"},
		{"deleted, killed after grace", sigkill, stopIntent{Deleting: true, Grace: 30 * time.Second},
			v1.Failed, ReasonKilled, "within 30s"},
		{"liveness stop, guest obeyed: still Failed", guestOff,
			stopIntent{Reason: v1.LivenessProbeFailedReason, Message: "Liveness probe failed: refused", Grace: time.Minute},
			v1.Failed, v1.LivenessProbeFailedReason, "shut down within the grace period"},
		{"liveness stop, killed", sigkill,
			stopIntent{Reason: v1.LivenessProbeFailedReason, Message: "Liveness probe failed", Grace: time.Minute},
			v1.Failed, v1.LivenessProbeFailedReason, "within 1m0s and was killed"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := finalFromOutcome(tt.o, tt.intent)
			if f.Phase != tt.wantPhase || f.Reason != tt.wantReason || !strings.Contains(f.Message, tt.wantInMsg) {
				t.Errorf("got %s/%s %q, want %s/%s containing %q", f.Phase, f.Reason, f.Message, tt.wantPhase, tt.wantReason, tt.wantInMsg)
			}
			wantType, wantMsg := corev1.EventTypeWarning, messageCrashed
			if tt.wantPhase == v1.Succeeded {
				wantType, wantMsg = corev1.EventTypeNormal, messageShutDown
			}
			if f.EventReason != EventStopped || f.EventType != wantType || f.EventMessage != wantMsg {
				t.Errorf("event %s/%s %q, want %s/Stopped %q", f.EventType, f.EventReason, f.EventMessage, wantType, wantMsg)
			}
		})
	}
}

func TestLostAndStartFailure(t *testing.T) {
	f := lostFinal(v1.Running)
	if f.Phase != v1.Failed || f.Reason != ReasonProcessLost || f.EventType != corev1.EventTypeWarning {
		t.Errorf("lost: %+v", f)
	}
	if lostFinal(v1.Scheduled).Message == f.Message {
		t.Error("a VMI lost during its start is described like a running one")
	}
	s := startFailure(ReasonImageNotFound, `spec.volumes[0].containerDisk.image: image "x": not found`)
	if s.Phase != v1.Failed || s.Reason != ReasonImageNotFound || s.EventReason != ReasonImageNotFound ||
		s.EventMessage != s.Message {
		t.Errorf("start failure: %+v", s)
	}
}

func TestGraceFor(t *testing.T) {
	i64 := func(v int64) *int64 { return &v }
	tests := []struct {
		name          string
		spec, deleted *int64
		deleting      bool
		want          time.Duration
	}{
		{"default", nil, nil, false, 30 * time.Second},
		{"spec", i64(5), nil, false, 5 * time.Second},
		{"spec zero: at once", i64(0), nil, false, 0},
		{"negative spec counts as zero", i64(-3), nil, false, 0},
		{"deletion grace overrides", i64(5), i64(90), true, 90 * time.Second},
		{"deletion grace 0 stops at once", i64(5), i64(0), true, 0},
		{"no deletion grace given: the spec's", i64(5), nil, true, 5 * time.Second},
		{"deletion grace ignored when not deleting", i64(5), i64(90), false, 5 * time.Second},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			vmi := vmiIn(v1.Running, "n")
			vmi.Spec.TerminationGracePeriodSeconds = tt.spec
			vmi.DeletionGracePeriodSeconds = tt.deleted
			if tt.deleting {
				deleting(vmi)
			}
			if got := graceFor(vmi); got != tt.want {
				t.Errorf("graceFor = %s, want %s", got, tt.want)
			}
		})
	}
}

// A data dir whose run directories would hold socket paths over 107 bytes is
// reached through a short, deterministic link; a short one is used as it is.
func TestRunDirFitsUnixSockets(t *testing.T) {
	short := Config{DataDir: "/var/lib/vigil"}
	if got := short.runDir("0123456789abcdef0123456789abcdef0123"); got != "/var/lib/vigil/vmis/0123456789abcdef0123456789abcdef0123" {
		t.Errorf("short data dir: run dir %s", got)
	}
	long := Config{DataDir: "/tmp/" + strings.Repeat("x", 80)}
	uid := "0123456789abcdef0123456789abcdef0123"
	dir := long.runDir(uid)
	if n := len(dir + "/console.sock"); n > maxSocketPath {
		t.Errorf("long data dir: socket path of %d bytes: %s", n, dir)
	}
	if !strings.HasPrefix(dir, shortLinks+"/") || dir != long.runDir(uid) {
		t.Errorf("long data dir: run dir %s is not a stable short link", dir)
	}
}
