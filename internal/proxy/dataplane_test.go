package proxy

import (
	"context"
	"net/netip"
	"os/exec"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"vigil.dev/vigil/internal/network/nstest"
)

func TestDataplaneSpreadsNewConnectionsOverReadyEndpoints(t *testing.T) {
	top := newTopology(t)
	d := newTestDataplane(t)
	if res := mustSync(t, d, webState(backendA, backendB)); !res.Full {
		t.Fatalf("the first sync was not a full replace: %+v", res)
	}
	vip := serviceIP + ":80"
	for _, from := range []struct {
		name string
		got  map[string]int
	}{
		{"the host (output hook)", hits(t, nil, vip, 200)},
		{"a VM on the bridge (prerouting, masqueraded)", hits(t, top.client, vip, 100)},
		{"a backend reaching its own service (hairpin)", hits(t, top.backends, vip, 100)},
	} {
		if len(from.got) != 2 || from.got["backend-"+backendA] == 0 || from.got["backend-"+backendB] == 0 {
			t.Errorf("from %s: connections reached %v, want both backends", from.name, from.got)
		}
	}
}

func TestDataplaneUnreadyEndpointGetsNoNewConnectionsButKeepsOpenOnes(t *testing.T) {
	top := newTopology(t)
	d := newTestDataplane(t)
	mustSync(t, d, webState(backendA, backendB))
	vip := serviceIP + ":80"
	// Open connections until one is on each backend (random: bounded).
	open := map[string]*conn{}
	for i := 0; len(open) < 2; i++ {
		if i == 200 {
			t.Fatalf("200 connections never reached both backends: %v", open)
		}
		c, name, err := dial(top.client, vip)
		if err != nil {
			t.Fatal(err)
		}
		if open[name] != nil {
			c.Close()
			continue
		}
		open[name] = c
		defer c.Close()
	}
	res := mustSync(t, d, webState(backendA))
	if res.Full || res.Commands == 0 {
		t.Fatalf("removing an endpoint was not an incremental update: %+v", res)
	}
	if got := hits(t, top.client, vip, 100); got["backend-"+backendB] != 0 || got["backend-"+backendA] != 100 {
		t.Fatalf("after B went unready, new connections reached %v", got)
	}
	for name, c := range open {
		if got, err := c.ask("ping"); err != nil || got != name {
			t.Fatalf("the open connection to %s answered %q, %v after the change", name, got, err)
		}
	}
}

// An external IP (here the host's address on a routed link) brings
// outside clients in through prerouting; they keep their address, while a
// VM client is masqueraded to the bridge's.
func TestDataplaneExternalIPKeepsOutsideClientsAddress(t *testing.T) {
	top := newTopology(t)
	out := top.outside(t, "192.0.2.1", "192.0.2.2")
	withExternal := func(st State) State {
		st["shop/web"].Ports[0].Addrs = append(st["shop/web"].Ports[0].Addrs, netip.MustParseAddr("192.0.2.1"))
		return st
	}
	d := newTestDataplane(t)
	mustSync(t, d, withExternal(webState(backendA)))
	for _, tc := range []struct {
		name, addr, peer string
		from             *nstest.NS
	}{
		{"outside via the external IP", "192.0.2.1:80", "192.0.2.2", out},
		{"VM via the cluster IP", serviceIP + ":80", gateway, top.client},
		{"VM via the external IP", "192.0.2.1:80", gateway, top.client},
	} {
		c, name, err := dial(tc.from, tc.addr)
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		peer, err := c.ask("peer")
		c.Close()
		if err != nil || name != "backend-"+backendA || peer != tc.peer {
			t.Errorf("%s: reached %s seen from %q (%v); want %s seen from %s", tc.name, name, peer, err, "backend-"+backendA, tc.peer)
		}
	}
	// No ready endpoint: refused by the rules (the host has no listener
	// on port 80 either, so also check the table says so).
	mustSync(t, d, withExternal(webState()))
	refused(t, out, "192.0.2.1:80")
	if table := listTable(t); !strings.Contains(table, "192.0.2.1 . tcp . 80 : goto reject-service") {
		t.Fatalf("the external IP is not refused by the rules:\n%s", table)
	}
}

func TestDataplaneRefusesAtOnceWithoutReadyEndpoints(t *testing.T) {
	top := newTopology(t)
	d := newTestDataplane(t)
	mustSync(t, d, webState())
	for _, ns := range []struct {
		name string
		from *nstest.NS
	}{{"host", nil}, {"vm", top.client}} {
		t.Run(ns.name, func(t *testing.T) {
			refused(t, ns.from, serviceIP+":80")
			refused(t, ns.from, serviceIP+":81") // a port the service lacks
			refused(t, ns.from, "10.96.0.99:80") // an address no service has
		})
	}
	mustSync(t, d, webState(backendA))
	if got := hits(t, top.client, serviceIP+":80", 5); got["backend-"+backendA] != 5 {
		t.Fatalf("after the first endpoint became ready: %v", got)
	}
}

func TestDataplaneDeletedServiceLeavesNoRules(t *testing.T) {
	newTopology(t)
	d := newTestDataplane(t)
	mustSync(t, d, webState(backendA, backendB))
	if res := mustSync(t, d, State{}); res.Full {
		t.Fatalf("deleting a service replaced the table: %+v", res)
	}
	table := listTable(t)
	for _, gone := range []string{"svc-", "ep-", serviceIP} {
		if strings.Contains(table, gone) {
			t.Fatalf("the table still holds %q after the service was deleted:\n%s", gone, table)
		}
	}
	refused(t, nil, serviceIP+":80")
	if err := d.Delete(context.Background()); err != nil {
		t.Fatal(err)
	}
	if out, _ := exec.Command("nft", "list", "tables").CombinedOutput(); strings.Contains(string(out), Table) {
		t.Fatalf("table still listed after Delete: %s", out)
	}
}

// A restarted daemon rebuilds the table from scratch in one transaction:
// a client connecting in a loop meanwhile never fails.
func TestDataplaneRebuildLeavesNoGap(t *testing.T) {
	top := newTopology(t)
	mustSync(t, newTestDataplane(t), webState(backendA, backendB))
	var ok, failed, slowest atomic.Int64
	var firstErr atomic.Value
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		for i := 0; i < 20000; i++ {
			select {
			case <-stop:
				return
			default:
			}
			start := time.Now()
			c, _, err := dial(top.client, serviceIP+":80")
			if err != nil {
				failed.Add(1)
				firstErr.CompareAndSwap(nil, err.Error())
				continue
			}
			c.Close()
			ok.Add(1)
			if took := int64(time.Since(start)); took > slowest.Load() {
				slowest.Store(took)
			}
		}
	})
	before := ok.Load()
	for range 20 {
		res := mustSync(t, newTestDataplane(t), webState(backendA, backendB)) // a fresh process knows nothing
		if !res.Full {
			t.Fatalf("a fresh dataplane did not replace the table: %+v", res)
		}
	}
	deadline := time.Now().Add(10 * time.Second)
	for ok.Load() < before+50 && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	close(stop)
	wg.Wait()
	if failed.Load() > 0 {
		t.Fatalf("%d of %d connections failed during 20 rebuilds; first: %v", failed.Load(), ok.Load()+failed.Load(), firstErr.Load())
	}
	// A dropped first packet would show as a retransmission, a second
	// later (TCP's initial RTO); anything under that is the machine's load.
	if took := time.Duration(slowest.Load()); took > 900*time.Millisecond {
		t.Fatalf("a connection took %v during the rebuilds", took)
	}
	t.Logf("%d connections through 20 rebuilds, none failed, slowest %v", ok.Load(), time.Duration(slowest.Load()))
}

func listTable(t *testing.T) string {
	t.Helper()
	out, err := exec.Command("nft", "list", "table", "ip", Table).CombinedOutput()
	if err != nil {
		t.Fatalf("nft list table: %v: %s", err, out)
	}
	return string(out)
}
