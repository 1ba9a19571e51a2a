package network

import (
	"testing"

	"vigil.dev/vigil/internal/network/nstest"
)

// TestMain runs every test of the package in private network and mount
// namespaces (see nstest): nothing here can touch the host's network.
func TestMain(m *testing.M) { nstest.Main(m) }
