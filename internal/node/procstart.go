package node

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// userHZ is the unit of the times in /proc/PID/stat: Linux reports them in
// USER_HZ, which is 100 on every architecture it runs on (sysconf's
// _SC_CLK_TCK answers the same constant).
const userHZ = 100

// procRoot is where the process table is read; tests point it elsewhere.
var procRoot = "/proc"

// processStarted is when process pid started, on the agent's clock: the
// process's age (the system's uptime minus its start time since boot, both
// from /proc, 10 ms precision) subtracted from now. Reading the age rather
// than an absolute start time keeps the answer on the agent's clock and
// away from /proc/stat's whole-second boot time; it is what a reattached
// VMI's initialDelaySeconds counts from, as a launched one's does.
func processStarted(pid int, now time.Time) (time.Time, error) {
	stat, err := os.ReadFile(filepath.Join(procRoot, strconv.Itoa(pid), "stat"))
	if err != nil {
		return time.Time{}, fmt.Errorf("start time of pid %d: %w", pid, err)
	}
	ticks, err := startTicks(stat)
	if err != nil {
		return time.Time{}, fmt.Errorf("start time of pid %d: %w", pid, err)
	}
	up, err := os.ReadFile(filepath.Join(procRoot, "uptime"))
	if err != nil {
		return time.Time{}, fmt.Errorf("system uptime: %w", err)
	}
	uptime, err := uptimeOf(up)
	if err != nil {
		return time.Time{}, err
	}
	age := uptime - time.Duration(ticks)*time.Second/userHZ
	return now.Add(-max(age, 0)), nil
}

// startTicks reads field 22 (starttime, in USER_HZ since boot) of a
// /proc/PID/stat line. The second field, the command in parentheses, may
// hold spaces and parentheses itself, so fields are counted from the last
// ')'.
func startTicks(stat []byte) (uint64, error) {
	end := bytes.LastIndexByte(stat, ')')
	if end < 0 {
		return 0, fmt.Errorf("/proc stat line without a command: %.40q", stat)
	}
	fields := strings.Fields(string(stat[end+1:]))
	// fields[0] is field 3 (state); starttime is field 22.
	const index = 22 - 3
	if len(fields) <= index {
		return 0, fmt.Errorf("/proc stat line has %d fields after the command, want more than %d", len(fields), index)
	}
	ticks, err := strconv.ParseUint(fields[index], 10, 64)
	if err != nil {
		return 0, fmt.Errorf("/proc stat starttime %q: %w", fields[index], err)
	}
	return ticks, nil
}

// uptimeOf reads the first number of /proc/uptime (seconds since boot).
func uptimeOf(b []byte) (time.Duration, error) {
	first, _, _ := strings.Cut(strings.TrimSpace(string(b)), " ")
	secs, err := strconv.ParseFloat(first, 64)
	if err != nil {
		return 0, fmt.Errorf("/proc/uptime %q: %w", first, err)
	}
	return time.Duration(secs * float64(time.Second)), nil
}
