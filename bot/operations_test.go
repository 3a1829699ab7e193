package bot_test

import (
	"flag"
	"os"
	"testing"

	"github.com/circlebot/circlebot/bot/discordsim"
)

var updateOperations = flag.Bool("update-operations", false, "add the Discord operations the tests called to testdata/discord-operations.txt")

// TestMain fails the package when any test made the bot call an operation
// Discord's spec marks deprecated, or one not in the record of operations
// circlebot uses (testdata/discord-operations.txt): the simulator serves
// deprecated routes, as Discord still does, so only this catches them.
func TestMain(m *testing.M) {
	flag.Parse()
	runShardProcessIfAsked() // the test binary as a bot process of TestTwoProcessesShareOneDatabase
	discordsim.MoreParallel()
	os.Exit(discordsim.AfterTests(m.Run(), "testdata/discord-operations.txt", *updateOperations))
}
