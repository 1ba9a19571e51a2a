package node

import "testing"

// A watchdog that keeps firing with action shutdown is followed once at a
// time, not by a goroutine per firing.
func TestWatchShutdownOnce(t *testing.T) {
	st := &vmiState{}
	if !st.watchShutdownOnce() {
		t.Fatal("the first firing is not followed")
	}
	if st.watchShutdownOnce() {
		t.Fatal("a second firing started a second follower")
	}
	st.shutdownWatchDone()
	if !st.watchShutdownOnce() {
		t.Fatal("a firing after the follower ended is not followed")
	}
}
