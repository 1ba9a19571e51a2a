package vm

import (
	"testing"

	"vigil.dev/vigil/internal/network/nstest"
)

func TestMain(m *testing.M) { nstest.Main(m) }
