package node

import (
	"os"
	"path/filepath"
	"testing"
	"time"
)

func TestStartTicks(t *testing.T) {
	tests := []struct {
		name string
		stat string
		want uint64
		ok   bool
	}{
		{"plain", "4242 (qemu-system-x86) S 1 4242 4242 0 -1 4194560 1 0 0 0 5 3 0 0 20 0 4 0 987654 123 45", 987654, true},
		{"spaces and parens in the command", "7 (a) b (c) R 1 7 7 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 31337 0 0", 31337, true},
		{"cut short", "7 (x) R 1 7", 0, false},
		{"no command", "7 x R", 0, false},
		{"not a number", "7 (x) R 1 7 7 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 soon 0 0", 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := startTicks([]byte(tt.stat))
			if (err == nil) != tt.ok || got != tt.want {
				t.Errorf("got %d, %v; want %d (ok %v)", got, err, tt.want, tt.ok)
			}
		})
	}
}

func TestProcessStartedCountsBackFromNow(t *testing.T) {
	old := procRoot
	procRoot = t.TempDir()
	t.Cleanup(func() { procRoot = old })
	if err := os.MkdirAll(filepath.Join(procRoot, "99"), 0o755); err != nil {
		t.Fatal(err)
	}
	// Started 1000.50 s after boot; the system has been up 1012.75 s.
	stat := "99 (qemu) S 1 99 99 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 100050 0 0"
	os.WriteFile(filepath.Join(procRoot, "99", "stat"), []byte(stat), 0o644)
	os.WriteFile(filepath.Join(procRoot, "uptime"), []byte("1012.75 2000.00\n"), 0o644)
	got, err := processStarted(99, t0)
	if err != nil {
		t.Fatal(err)
	}
	if want := t0.Add(-12250 * time.Millisecond); !got.Equal(want) {
		t.Errorf("started %v, want %v", got, want)
	}
	if _, err := processStarted(100, t0); err == nil {
		t.Error("a missing process has a start time")
	}
}

func TestProcessStartedOfThisProcess(t *testing.T) {
	now := time.Now()
	got, err := processStarted(os.Getpid(), now)
	if err != nil {
		t.Fatal(err)
	}
	// The test binary started before now, and not long ago.
	if age := now.Sub(got); age < 0 || age > 10*time.Minute {
		t.Errorf("this process started %v ago", age)
	}
}
