package discordsim

import (
	"flag"
	"os"
	"testing"
)

// TestMain runs the simulator's tests more side by side than the CPUs:
// they wait on loopback (MoreParallel).
func TestMain(m *testing.M) {
	flag.Parse()
	MoreParallel()
	os.Exit(m.Run())
}
