package network

import (
	"crypto/sha256"
	"encoding/hex"
	"net"
)

// tapPrefix starts every tap name vigil makes; Teardown relies on it.
const tapPrefix = "vt"

// MACFor returns the guest MAC address of a VMI: 02 (locally administered,
// unicast) followed by five bytes of the SHA-256 of its uid. The same uid
// always gets the same MAC, so a guest keeps its lease across restarts.
func MACFor(uid string) net.HardwareAddr {
	sum := sha256.Sum256([]byte(uid))
	mac := make(net.HardwareAddr, 6)
	mac[0] = 0x02
	copy(mac[1:], sum[:5])
	return mac
}

// TapName returns the host tap name of a VMI: "vt" and 12 hex digits of the
// SHA-256 of its uid (14 characters, within IFNAMSIZ). Deterministic, so a
// restarted daemon finds the taps of the VMs that kept running.
func TapName(uid string) string {
	sum := sha256.Sum256([]byte(uid))
	return tapPrefix + hex.EncodeToString(sum[:6])
}

// bridgeMAC is a fixed MAC for the bridge. Without one, Linux gives a
// bridge the lowest MAC of its ports, so the gateway's MAC would change as
// taps come and go and guests would hold stale ARP entries.
func bridgeMAC(bridge string) net.HardwareAddr {
	return MACFor("bridge/" + bridge)
}
