package main

import (
	"net"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"
)

const (
	dhcpScript = "/usr/share/udhcpc/default.script"
	// nicWait bounds the wait for a NIC after virtio_net loaded.
	nicWait = 2 * time.Second
	// dhcpWait bounds udhcpc's foreground phase: with -t 5 -T 2 it gives
	// up after ~10 s and goes on trying in the background (-b).
	dhcpWait = 20 * time.Second
	ipWait   = 5 * time.Second
)

type netIface struct {
	name     string
	arpType  string // /sys/class/net/X/type: "1" is ethernet
	physical bool   // has a device behind it (not a virtual interface)
}

// pickEthernet chooses the first physical ethernet interface by name.
func pickEthernet(ifs []netIface) (string, bool) {
	var names []string
	for _, i := range ifs {
		if i.name != "lo" && i.arpType == "1" && i.physical {
			names = append(names, i.name)
		}
	}
	slices.Sort(names)
	if len(names) == 0 {
		return "", false
	}
	return names[0], true
}

// hasPCINetwork reports whether a PCI network controller (class 0x02xxxx)
// exists, so init waits for a NIC only when one is coming.
func hasPCINetwork() bool {
	classes, _ := filepath.Glob("/sys/bus/pci/devices/*/class")
	for _, c := range classes {
		raw, err := os.ReadFile(c)
		if err == nil && strings.HasPrefix(strings.TrimSpace(string(raw)), "0x02") {
			return true
		}
	}
	return false
}

func listIfaces() []netIface {
	entries, _ := os.ReadDir("/sys/class/net")
	var out []netIface
	for _, e := range entries {
		dir := filepath.Join("/sys/class/net", e.Name())
		t, _ := os.ReadFile(filepath.Join(dir, "type"))
		out = append(out, netIface{name: e.Name(), arpType: strings.TrimSpace(string(t)), physical: exists(filepath.Join(dir, "device"))})
	}
	return out
}

func (in *initProc) loopbackUp() {
	if err := in.sup.runOK(procSpec{argv: []string{"ip", "link", "set", "lo", "up"}, stdio: in.stdio()}, ipWait); err != nil {
		in.log.Warn("loopback not up", "err", err)
	}
}

// setupNetwork configures the first ethernet interface by DHCP; a guest
// without a NIC is fine.
func (in *initProc) setupNetwork() {
	iface, ok := pickEthernet(listIfaces())
	if !ok && hasPCINetwork() {
		ok = waitFor(nicWait, func() bool {
			iface, ok = pickEthernet(listIfaces())
			return ok
		})
	}
	if !ok {
		in.log.Info("no ethernet interface; network not configured")
		return
	}
	if err := in.sup.runOK(procSpec{argv: []string{"ip", "link", "set", iface, "up"}, stdio: in.stdio()}, ipWait); err != nil {
		in.log.Warn("interface not up", "iface", iface, "err", err)
	}
	argv := []string{"udhcpc", "-i", iface, "-s", dhcpScript, "-t", "5", "-T", "2", "-A", "5", "-b",
		"-p", "/run/udhcpc." + iface + ".pid", "-x", "hostname:" + in.hostname()}
	start := time.Now()
	if err := in.sup.runOK(procSpec{argv: argv, stdio: in.stdio()}, dhcpWait); err != nil {
		in.log.Warn("dhcp", "iface", iface, "err", err)
		return
	}
	in.log.Info("network configured", "iface", iface, "addr", ifaceAddrs(iface), "took", time.Since(start).Round(time.Millisecond))
}

// ifaceAddrs lists the addresses of an interface, for the log.
func ifaceAddrs(name string) string {
	ifi, err := net.InterfaceByName(name)
	if err != nil {
		return ""
	}
	addrs, err := ifi.Addrs()
	if err != nil {
		return ""
	}
	var out []string
	for _, a := range addrs {
		out = append(out, a.String())
	}
	return strings.Join(out, ",")
}
