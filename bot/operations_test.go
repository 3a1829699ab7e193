package bot_test

import (
	"flag"
	"log/slog"
	"os"
	"testing"

	"github.com/circlebot/circlebot/bot"
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
	// discordgo's own lines come through slog as in `circlebot run`, so
	// that the harness's quick closes (Options.QuickClose) are debug
	// records, not noise; its warnings and errors still reach stderr.
	bot.LogDiscordgo(slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn})))
	os.Exit(discordsim.AfterTests(m.Run(), "testdata/discord-operations.txt", *updateOperations))
}
