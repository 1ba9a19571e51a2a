package proxy

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/vishvananda/netlink"

	"vigil.dev/vigil/internal/network/nstest"
)

// The dataplane tests build, inside the test's private namespace (the
// "host"), what the daemon has on a real host: a bridge holding the VM
// subnet's gateway, "VMs" in namespaces of their own on veths in the
// bridge, and the service route. Backends are TCP listeners in a VM
// namespace, each answering its own name on connect and on every line.
const (
	gateway    = "10.89.0.1"
	backendA   = "10.89.0.5"
	backendB   = "10.89.0.6"
	clientVM   = "10.89.0.9"
	serviceIP  = "10.96.0.10"
	targetPort = 8080
)

// dialTimeout bounds one connect: on loopback-like links an answer takes
// microseconds, so hitting it means a black hole.
const dialTimeout = 3 * time.Second

type topology struct {
	backends *nstest.NS // a VM holding both backend addresses
	client   *nstest.NS // a VM that is only a client
}

// newTopology builds the bridge, two VM namespaces and the service route,
// and starts the backends.
func newTopology(t testing.TB) *topology {
	t.Helper()
	nstest.Require(t)
	mustRun(t, "sysctl", "-qw", "net.ipv4.ip_forward=1")
	br := &netlink.Bridge{LinkAttrs: netlink.LinkAttrs{Name: "br0"}}
	if err := netlink.LinkAdd(br); err != nil {
		t.Fatalf("create bridge: %v", err)
	}
	t.Cleanup(func() { _ = netlink.LinkDel(br) })
	mustRun(t, "ip", "addr", "add", gateway+"/16", "dev", "br0")
	mustRun(t, "ip", "link", "set", "br0", "up")
	top := &topology{backends: nstest.New(t), client: nstest.New(t)}
	top.attach(t, "vb0", top.backends, backendA, backendB)
	top.attach(t, "vc0", top.client, clientVM)
	if err := EnsureRoute("br0", testConfig.ServiceSubnet); err != nil {
		t.Fatal(err)
	}
	for _, addr := range []string{backendA, backendB} {
		top.serve(t, addr, targetPort, "backend-"+addr)
	}
	return top
}

// outside makes a namespace beyond a routed link of the host (not the
// bridge): hostAddr/24 on the host's end, clientAddr/24 on the other.
func (top *topology) outside(t testing.TB, hostAddr, clientAddr string) *nstest.NS {
	t.Helper()
	ns := nstest.New(t)
	nstest.Veth(t, "vo0", ns, "eth0", nil)
	mustRun(t, "ip", "addr", "add", hostAddr+"/24", "dev", "vo0")
	ns.Run(t, "ip", "addr", "add", clientAddr+"/24", "dev", "eth0")
	ns.Run(t, "ip", "route", "add", "default", "via", hostAddr)
	return ns
}

// attach wires a VM namespace to the bridge with its addresses and a
// default route through the gateway.
func (top *topology) attach(t testing.TB, hostEnd string, ns *nstest.NS, addrs ...string) {
	t.Helper()
	host := nstest.Veth(t, hostEnd, ns, "eth0", nil)
	br, err := netlink.LinkByName("br0")
	if err != nil {
		t.Fatal(err)
	}
	if err := netlink.LinkSetMaster(host, br); err != nil {
		t.Fatalf("enslave %s: %v", hostEnd, err)
	}
	// Where br_netfilter is loaded (bridge-nf-call-iptables=1, as on this
	// host), DNAT to an address behind the bridge is bridged, not routed,
	// and a frame is never sent back out the port it came in on unless the
	// port is in hairpin mode: a VM reaching a Service backed by itself
	// needs it on its tap.
	if err := netlink.LinkSetHairpin(host, true); err != nil {
		t.Fatalf("hairpin mode on %s: %v", hostEnd, err)
	}
	for _, a := range addrs {
		ns.Run(t, "ip", "addr", "add", a+"/16", "dev", "eth0")
	}
	ns.Run(t, "ip", "route", "add", "default", "via", gateway)
}

// serve listens on addr:port inside the backends namespace until the test
// ends; every connection gets name on connect and after every line.
func (top *topology) serve(t testing.TB, addr string, port int, name string) {
	t.Helper()
	var ln net.Listener
	err := top.backends.Do(func() (err error) {
		ln, err = net.Listen("tcp", net.JoinHostPort(addr, fmt.Sprint(port)))
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	var (
		wg    sync.WaitGroup
		mu    sync.Mutex
		conns []net.Conn
	)
	t.Cleanup(func() {
		ln.Close()
		mu.Lock()
		for _, c := range conns {
			c.Close()
		}
		mu.Unlock()
		wg.Wait()
	})
	wg.Go(func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, c)
			mu.Unlock()
			wg.Go(func() { answer(c, name) })
		}
	})
}

// answer greets with the backend's name and answers every line with it,
// except "peer", answered with the client address the backend sees.
func answer(c net.Conn, name string) {
	defer c.Close()
	if _, err := io.WriteString(c, name+"\n"); err != nil {
		return
	}
	r := bufio.NewScanner(c)
	for r.Scan() {
		reply := name
		if r.Text() == "peer" {
			reply, _, _ = net.SplitHostPort(c.RemoteAddr().String())
		}
		if _, err := io.WriteString(c, reply+"\n"); err != nil {
			return
		}
	}
}

// conn is a client connection through the service.
type conn struct {
	net.Conn
	r *bufio.Reader
}

// dial connects to addr from the host (ns nil) or from a VM namespace and
// reads the backend's greeting.
func dial(ns *nstest.NS, addr string) (*conn, string, error) {
	var c net.Conn
	connect := func() (err error) {
		c, err = net.DialTimeout("tcp", addr, dialTimeout)
		return err
	}
	var err error
	if ns == nil {
		err = connect()
	} else {
		err = ns.Do(connect)
	}
	if err != nil {
		return nil, "", err
	}
	cc := &conn{Conn: c, r: bufio.NewReader(c)}
	name, err := cc.read()
	if err != nil {
		c.Close()
		return nil, "", err
	}
	return cc, name, nil
}

func (c *conn) read() (string, error) {
	_ = c.SetReadDeadline(time.Now().Add(dialTimeout))
	line, err := c.r.ReadString('\n')
	return strings.TrimSpace(line), err
}

// ask sends a line and returns the backend's answer: its name, or for
// "peer" the client address it sees.
func (c *conn) ask(line string) (string, error) {
	if _, err := io.WriteString(c, line+"\n"); err != nil {
		return "", err
	}
	return c.read()
}

// hits connects n times and counts the backends that answered; any
// failure fails the test.
func hits(t testing.TB, ns *nstest.NS, addr string, n int) map[string]int {
	t.Helper()
	got := map[string]int{}
	for i := range n {
		c, name, err := dial(ns, addr)
		if err != nil {
			t.Fatalf("connect %d of %d to %s: %v", i+1, n, addr, err)
		}
		c.Close()
		got[name]++
	}
	return got
}

// refused asserts that a connect is refused at once (a reset or ICMP
// port unreachable), not dropped into a timeout.
func refused(t testing.TB, ns *nstest.NS, addr string) {
	t.Helper()
	start := time.Now()
	c, name, err := dial(ns, addr)
	if err == nil {
		c.Close()
		t.Fatalf("connect to %s reached %s, want it refused", addr, name)
	}
	if !errors.Is(err, syscall.ECONNREFUSED) {
		t.Fatalf("connect to %s: %v, want connection refused", addr, err)
	}
	if took := time.Since(start); took > time.Second {
		t.Fatalf("connect to %s took %v to be refused", addr, took)
	}
}

func mustRun(t testing.TB, name string, args ...string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if out, err := exec.CommandContext(ctx, name, args...).CombinedOutput(); err != nil {
		t.Fatalf("%s %v: %v: %s", name, args, err, out)
	}
}

// webState is one Service, web, on serviceIP:80 with the given backends.
func webState(backends ...string) State {
	var eps []Endpoint
	for _, b := range backends {
		eps = append(eps, Endpoint{IP: netip.MustParseAddr(b), Port: targetPort})
	}
	return State{"shop/web": {Namespace: "shop", Name: "web", Ports: []Port{{
		Name: "http", Protocol: "tcp", Port: 80, Addrs: []netip.Addr{netip.MustParseAddr(serviceIP)}, Endpoints: eps,
	}}}}
}

func newTestDataplane(t testing.TB) *Dataplane {
	d := NewDataplane(testConfig, &Netlink{}, slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn})))
	t.Cleanup(func() { d.Close() })
	return d
}

func mustSync(t testing.TB, d *Dataplane, st State) Result {
	t.Helper()
	res, err := d.Sync(context.Background(), st)
	if err != nil {
		t.Fatal(err)
	}
	return res
}
