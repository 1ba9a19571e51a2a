package proxy

import (
	"testing"

	"vigil.dev/vigil/internal/network/nstest"
)

// TestMain runs every test of the package in private network and mount
// namespaces (see nstest): the nftables rules, addresses and connections
// of the tests never touch the host's network.
func TestMain(m *testing.M) { nstest.Main(m) }
