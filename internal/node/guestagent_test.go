package node

import "testing"

func TestAgentTracker(t *testing.T) {
	var tr agentTracker
	tr = tr.next(false)
	if tr.known {
		t.Fatal("one failed ping settled the state")
	}
	tr = tr.next(false)
	if !tr.known || tr.connected {
		t.Fatalf("two failed pings: %+v, want known and disconnected", tr)
	}
	tr = tr.next(true)
	if !tr.connected || tr.failures != 0 {
		t.Fatalf("a good ping: %+v", tr)
	}
	if tr = tr.next(false); !tr.connected {
		t.Fatal("one failed ping disconnected a connected agent")
	}
	if tr = tr.closed(); !tr.known || tr.connected {
		t.Fatalf("closed port: %+v", tr)
	}
	if tr = tr.next(false); tr.connected {
		t.Fatal("a failed ping after the port closed connected it")
	}
}
