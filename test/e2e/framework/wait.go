package framework

import (
	"testing"
	"time"
)

// Eventually polls cond every interval until it returns true or the timeout
// passes; on timeout the test fails with what and the last description cond gave.
func Eventually(t testing.TB, timeout time.Duration, what string, cond func() (bool, string)) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	var last string
	for {
		ok, desc := cond()
		if ok {
			return
		}
		last = desc
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting for %s; last seen: %s", timeout, what, last)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// Never checks that cond stays false for the whole duration.
func Never(t testing.TB, d time.Duration, what string, cond func() (bool, string)) {
	t.Helper()
	deadline := time.Now().Add(d)
	for time.Now().Before(deadline) {
		if ok, desc := cond(); ok {
			t.Fatalf("%s happened, but must not: %s", what, desc)
		}
		time.Sleep(100 * time.Millisecond)
	}
}
